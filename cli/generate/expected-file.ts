/**
 * The expected balances file: JSON Lines, one account per line in account order, amounts as
 * decimal strings (JSON numbers would lose precision past 2^53), currencies in code order:
 *
 *   {"accountId":"acct-000001","balances":[{"currency":"MXN","ledgerMinor":"123","heldMinor":"0","availableMinor":"123"}]}
 *
 * The demo and the end-to-end test read it back and compare Redis and the balances topic with it.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { ExpectedBalances, ExpectedCurrencyBalance } from './expected.ts';

/** A line of the file does not say what it must; names the file and the line. */
export class ExpectedBalancesFileError extends Error {
  readonly source: string;
  readonly line: number;
  constructor(source: string, line: number, problem: string) {
    super(`${source}:${line}: ${problem}`);
    this.name = 'ExpectedBalancesFileError';
    this.source = source;
    this.line = line;
  }
}

const minorUnits = z
  .string()
  .regex(/^-?\d+$/, 'must be a whole number of minor units, as a string')
  .transform((text) => BigInt(text));

const lineSchema = z.object({
  accountId: z.string().min(1),
  balances: z.array(
    z.object({
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'),
      ledgerMinor: minorUnits,
      heldMinor: minorUnits,
      availableMinor: minorUnits,
    }),
  ),
});

/** The file's text: one line per account, each ending in a newline. */
export function formatExpectedBalances(balances: ExpectedBalances): string {
  const lines: string[] = [];
  for (const [accountId, currencies] of balances) {
    lines.push(
      JSON.stringify({
        accountId,
        balances: currencies.map((balance) => ({
          currency: balance.currency,
          ledgerMinor: balance.ledgerMinor.toString(),
          heldMinor: balance.heldMinor.toString(),
          availableMinor: balance.availableMinor.toString(),
        })),
      }),
    );
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * Writes the file whole or not at all (through a temporary file renamed over it), so a reader
 * never finds half of it.
 */
export async function writeExpectedBalances(path: string, balances: ExpectedBalances): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, formatExpectedBalances(balances), 'utf8');
  await rename(partial, path);
}

/** Reads the text of an expected balances file back; `source` names it in errors. */
export function parseExpectedBalances(text: string, source = 'expected balances'): ExpectedBalances {
  const result: ExpectedBalances = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const lineNumber = i + 1;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new ExpectedBalancesFileError(source, lineNumber, 'not a JSON object');
    }
    const parsed = lineSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(line)'}: ${issue.message}`,
      );
      throw new ExpectedBalancesFileError(source, lineNumber, problems.join('; '));
    }
    const { accountId, balances } = parsed.data;
    if (result.has(accountId)) {
      throw new ExpectedBalancesFileError(source, lineNumber, `${accountId} appears more than once`);
    }
    result.set(
      accountId,
      balances.map((balance) => checked(balance, source, lineNumber)),
    );
  }
  return result;
}

export async function readExpectedBalances(path: string): Promise<ExpectedBalances> {
  return parseExpectedBalances(await readFile(path, 'utf8'), path);
}

function checked(balance: ExpectedCurrencyBalance, source: string, line: number): ExpectedCurrencyBalance {
  if (balance.availableMinor !== balance.ledgerMinor - balance.heldMinor) {
    throw new ExpectedBalancesFileError(
      source,
      line,
      `${balance.currency}: availableMinor ${balance.availableMinor} is not ledgerMinor − heldMinor`,
    );
  }
  return balance;
}
