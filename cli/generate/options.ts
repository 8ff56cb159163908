/**
 * `saldo generate`'s options: read once from flags and the environment (KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL, SALDO_TRANSACTIONS_TOPIC), validated once, every problem reported at once
 * with the flag that causes it.
 */
import { z } from 'zod';
import { ConfigError } from '../../processor/index.ts';
import { DEFAULT_PRODUCT_TOPICS } from '../../topologies/product.ts';
import { parseDuration } from '../../processor/durations.ts';
import { streamsConfigFrom } from '../env-config.ts';
import { MAX_ACCOUNTS } from './accounts.ts';
import type { GeneratorRunOptions } from './run.ts';
import { MAX_EVENT_TIME_SPAN_MS, recordsWithinSpan, spacingMsFor } from './traffic.ts';
import { DEFAULT_REGISTRY_URL } from '../product-config.ts';

/** The command's flags as commander hands them over: text, or booleans for switches. */
export interface GenerateFlags {
  accounts?: string;
  count?: string;
  duration?: string;
  rate?: string;
  seed?: string;
  topic?: string;
  expected?: string;
  startTime?: string;
  batchSize?: string;
  brokers?: string;
  registryUrl?: string;
  json?: boolean;
  dryRun?: boolean;
}

export interface GenerateConfig extends GeneratorRunOptions {
  brokers: string[];
  registryUrl: string;
  /** Print the summary as JSON (stdout) instead of a table. */
  json: boolean;
  /** Generate and write the expected balances without Kafka or the registry. */
  dryRun: boolean;
}

export const GENERATE_DEFAULTS = {
  accounts: 1_000,
  /** When neither a count nor a duration is given. */
  count: 10_000,
  seed: 1,
  batchSize: 500,
  registryUrl: DEFAULT_REGISTRY_URL,
} as const;

const SPAN_HOURS = MAX_EVENT_TIME_SPAN_MS / 3_600_000;

const number = (rule: string) => z.number({ error: `must be ${rule}` });
const whole = (min: number, max: number) =>
  number(`a whole number from ${min} to ${max}`).int().min(min).max(max);

export const generateConfigSchema = z
  .object({
    accounts: whole(1, MAX_ACCOUNTS),
    count: whole(1, Number.MAX_SAFE_INTEGER).optional(),
    durationMs: number('a duration such as 30s, 5m or 2h').int().min(1).optional(),
    rate: number('a number of transactions per second above 0').positive().max(1_000_000).optional(),
    seed: whole(0, Number.MAX_SAFE_INTEGER),
    startTime: number('an ISO 8601 time or ms since the epoch').int().min(0),
    topic: z
      .string()
      .min(1)
      .max(249)
      .regex(/^[A-Za-z0-9._-]+$/, 'may use only letters, digits, ".", "_" and "-"'),
    expectedPath: z.string().min(1).optional(),
    batchSize: whole(1, 10_000),
    brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1),
    registryUrl: z.url(),
    json: z.boolean(),
    dryRun: z.boolean(),
  })
  .superRefine((config, ctx) => {
    if (config.count === undefined && config.durationMs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'give a count, a duration or both' });
    }
    const spacingMs = spacingMsFor(config.rate);
    if (config.count !== undefined && config.count > recordsWithinSpan(spacingMs)) {
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: `${config.count} records ${spacingMs} ms apart span more than the ${SPAN_HOURS} h of event time a run may take (holds would expire); lower the count or raise the rate`,
      });
    }
    if (
      config.rate !== undefined &&
      config.durationMs !== undefined &&
      config.durationMs > MAX_EVENT_TIME_SPAN_MS
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['durationMs'],
        message: `at a set rate, event time follows the wall clock: a run may take at most ${SPAN_HOURS} h`,
      });
    }
  });

/** The flag (or variable) to name in a message about a setting. */
const FLAG_OF: Record<string, string> = {
  accounts: '--accounts',
  count: '--count',
  durationMs: '--duration',
  rate: '--rate',
  seed: '--seed',
  startTime: '--start-time',
  topic: '--topic (SALDO_TRANSACTIONS_TOPIC)',
  expectedPath: '--expected',
  batchSize: '--batch-size',
  brokers: '--brokers (KAFKA_BROKERS)',
  registryUrl: '--registry-url (SCHEMA_REGISTRY_URL)',
};

/** Text to a number; NaN (which the schema reports) when it is not one. `20_000` and `20,000` read as 20000. */
function numberFrom(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const cleaned = text.trim().replaceAll('_', '').replaceAll(',', '');
  return cleaned === '' ? Number.NaN : Number(cleaned);
}

/** ms since the epoch, or an ISO 8601 time. */
function timeFrom(text: string | undefined, now: number): number {
  if (text === undefined) return now;
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : Date.parse(trimmed);
}

function durationFrom(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  return parseDuration(text) ?? Number.NaN;
}

/**
 * The validated options of a run from flags and the environment. `now` (ms since the epoch) is the
 * default start time: event times begin at the wall clock unless --start-time says otherwise.
 */
export function generateConfigFrom(
  env: NodeJS.ProcessEnv,
  flags: GenerateFlags,
  now: number,
): GenerateConfig {
  const count = numberFrom(flags.count);
  const durationMs = durationFrom(flags.duration);
  const input = {
    accounts: numberFrom(flags.accounts) ?? GENERATE_DEFAULTS.accounts,
    count: count === undefined && durationMs === undefined ? GENERATE_DEFAULTS.count : count,
    durationMs,
    rate: numberFrom(flags.rate),
    seed: numberFrom(flags.seed) ?? GENERATE_DEFAULTS.seed,
    startTime: timeFrom(flags.startTime, now),
    topic: flags.topic ?? env.SALDO_TRANSACTIONS_TOPIC ?? DEFAULT_PRODUCT_TOPICS.transactions,
    expectedPath: flags.expected,
    batchSize: numberFrom(flags.batchSize) ?? GENERATE_DEFAULTS.batchSize,
    // The one reading of KAFKA_BROKERS (and its default) is the engine's.
    brokers: streamsConfigFrom(env, { brokers: flags.brokers }).brokers,
    registryUrl: flags.registryUrl ?? env.SCHEMA_REGISTRY_URL ?? GENERATE_DEFAULTS.registryUrl,
    json: flags.json ?? false,
    dryRun: flags.dryRun ?? false,
  };
  const parsed = generateConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `  - ${FLAG_OF[key] ?? (key || '(options)')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid saldo generate options:\n${problems.join('\n')}`);
  }
  return parsed.data;
}
