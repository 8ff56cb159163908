import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../../processor/index.ts';
import { parseDuration } from '../../processor/durations.ts';
import type { FraudRule } from './rule.ts';
import { RULES } from './rules/index.ts';
import type { LimitDefaults } from './rules/limit-breach.ts';

export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** One rule as the rule set configures it, its parameters checked and parsed. */
export interface ConfiguredRule {
  rule: FraudRule;
  id: string;
  version: number;
  enabled: boolean;
  severity: Severity;
  /** At most one alert per account within this much event time. */
  cooldownMs: number;
  parameters: unknown;
}

/**
 * A validated rule set: what the fraud processor runs. Some parameters also say what the
 * account's activity must remember (which inflows to watch, which categories are high-risk,
 * the limits' calendar): they are taken from the rules that own them.
 */
export interface RuleSet {
  version: string;
  /** Amounts of the rules, limits and velocity sums are in this currency only. */
  currency: string;
  rules: ConfiguredRule[];
  limitDefaults: LimitDefaults | undefined;
  /** Inflows at least this large are watched for a rapid drain; undefined: none. */
  watchedInflowMinor: bigint | undefined;
  highRiskMccs: readonly string[];
}

/**
 * The default rule set's file: topologies/fraud/default-rules.json. Run from a build (dist/,
 * .bench-build/) this module is one folder deeper and the file stays in the sources.
 */
export const DEFAULT_RULES_FILE = ((): string => {
  const candidates = ['./default-rules.json', '../../../topologies/fraud/default-rules.json'];
  const paths = candidates.map((candidate) => fileURLToPath(new URL(candidate, import.meta.url)));
  return paths.find((path) => existsSync(path)) ?? (paths[0] as string);
})();

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${text}' is not a duration such as 30m, 6h or 1d` });
    return z.NEVER;
  }
  return ms;
});

const ruleSetSchema = z.strictObject({
  version: z.string().min(1),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as MXN'),
  rules: z
    .array(
      z.strictObject({
        id: z.string().min(1),
        version: z.number().int().min(1),
        enabled: z.boolean(),
        severity: z.enum(SEVERITIES),
        cooldown: duration,
        parameters: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1),
});

/** Where a problem is: rules[3] (atm-cash-out).parameters.minWithdrawals. */
function pathOf(path: ReadonlyArray<PropertyKey>, json: unknown): string {
  let text = '';
  let node: unknown = json;
  for (const part of path) {
    if (typeof part === 'number') {
      node = Array.isArray(node) ? node[part] : undefined;
      const id = (node as { id?: unknown } | undefined)?.id;
      text += `[${part}]${typeof id === 'string' ? ` (${id})` : ''}`;
    } else {
      node = (node as Record<PropertyKey, unknown> | undefined)?.[part];
      text += text === '' ? String(part) : `.${String(part)}`;
    }
  }
  return text === '' ? '(top level)' : text;
}

/**
 * Checks a rule set (parsed JSON) and returns it ready to run. Every problem is reported at once,
 * each with where it is, in one ConfigError naming `source`.
 */
export function parseRuleSet(json: unknown, source: string): RuleSet {
  const problems: string[] = [];
  const checked = ruleSetSchema.safeParse(json);
  if (!checked.success) {
    for (const issue of checked.error.issues) problems.push(`${pathOf(issue.path, json)}: ${issue.message}`);
    throw new ConfigError(`rule set ${source} is not valid:\n  ${problems.join('\n  ')}`);
  }
  const rules: ConfiguredRule[] = [];
  const seen = new Set<string>();
  checked.data.rules.forEach((entry, index) => {
    const where = `rules[${index}] (${entry.id})`;
    const rule = RULES.get(entry.id);
    if (rule === undefined) {
      problems.push(`${where}.id: unknown rule (known: ${[...RULES.keys()].join(', ')})`);
      return;
    }
    if (seen.has(entry.id)) problems.push(`${where}.id: the rule is configured twice`);
    seen.add(entry.id);
    const parameters = rule.parameters.safeParse(entry.parameters);
    if (!parameters.success) {
      for (const issue of parameters.error.issues)
        problems.push(
          `${where}.parameters${issue.path.length > 0 ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
        );
      return;
    }
    const { cooldown, ...rest } = entry;
    rules.push({ ...rest, rule, cooldownMs: cooldown, parameters: parameters.data });
  });
  if (problems.length > 0)
    throw new ConfigError(`rule set ${source} is not valid:\n  ${problems.join('\n  ')}`);
  const parametersOf = <P>(id: string): P | undefined =>
    rules.find((configured) => configured.id === id)?.parameters as P | undefined;
  return {
    version: checked.data.version,
    currency: checked.data.currency,
    rules,
    limitDefaults: parametersOf<LimitDefaults>('limit-breach'),
    watchedInflowMinor: ((p) => (p === undefined ? undefined : BigInt(p.minInflowMinor)))(
      parametersOf<{ minInflowMinor: number }>('rapid-drain'),
    ),
    highRiskMccs: parametersOf<{ mccs: string[] }>('high-risk-mcc')?.mccs ?? [],
  };
}

/** Reads the rule set file as JSON (not parsed further: stream threads are handed the JSON). */
export function readRuleSetFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read the rule set ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(`rule set ${path} is not JSON: ${(error as Error).message}`);
  }
}

/** The default rule set's JSON. */
export function defaultRuleSetJson(): unknown {
  return readRuleSetFile(DEFAULT_RULES_FILE);
}
