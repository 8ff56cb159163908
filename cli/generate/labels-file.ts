/**
 * The labels file: the ground truth of a generated run for `saldo evaluate`, JSON Lines, one
 * incident of a rule's definition per line, in the order the incidents began:
 *
 *   {"pattern":"card-testing","accountId":"acct-000042","transactionIds":["tx-1-00001234",…],"from":1796398421873,"to":1796399021873,"injected":true}
 *
 * `pattern` is the rule id, `from`/`to` the event times (ms) of the first and last transaction
 * involved, `injected` whether the incident involves an injected fraud transaction (false: normal
 * traffic met the definition by accident). An injected incident that also meets another rule's
 * definition has a line for that rule too.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { RULE_IDS } from './definitions.ts';
import type { Label } from './traffic.ts';

/** A line of a labels file does not say what it must; names the file and the line. */
export class LabelsFileError extends Error {
  constructor(source: string, line: number, problem: string) {
    super(`${source}:${line}: ${problem}`);
    this.name = 'LabelsFileError';
  }
}

const lineSchema = z.object({
  pattern: z.string().min(1),
  accountId: z.string().min(1),
  transactionIds: z.array(z.string().min(1)).min(1),
  from: z.number().int(),
  to: z.number().int(),
  injected: z.boolean().default(true),
});

/** A label as read back: the pattern may be a rule this saldo does not know (a newer generator's). */
export interface ReadLabel extends Omit<Label, 'pattern'> {
  pattern: string;
}

export function formatLabels(labels: readonly Label[]): string {
  return labels.map((label) => `${JSON.stringify(label)}\n`).join('');
}

/** Writes the file whole or not at all (a temporary file renamed over it). */
export async function writeLabels(path: string, labels: readonly Label[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, formatLabels(labels), 'utf8');
  await rename(partial, path);
}

export function parseLabels(text: string, source = 'labels'): ReadLabel[] {
  const labels: ReadLabel[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new LabelsFileError(source, i + 1, 'not a JSON object');
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`,
      );
      throw new LabelsFileError(source, i + 1, problems.join('; '));
    }
    labels.push(parsed.data);
  }
  return labels;
}

export async function readLabels(path: string): Promise<ReadLabel[]> {
  return parseLabels(await readFile(path, 'utf8'), path);
}

/** Whether a pattern is one of the rule set's rule ids. */
export function isKnownRule(pattern: string): boolean {
  return (RULE_IDS as readonly string[]).includes(pattern);
}
