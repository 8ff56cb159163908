/**
 * `saldo generate`'s options: read once from flags and the environment (KAFKA_BROKERS,
 * SCHEMA_REGISTRY_URL, SALDO_TRANSACTIONS_TOPIC, SALDO_LIMITS_TOPIC), validated once, every problem
 * reported at once with the flag that causes it.
 *
 * Event time is realistic by default: the live records spread over `--event-span` (by default
 * about three hours per record and account, from one hour to six days), ending now, after a
 * history of `--history-days` and the accounts' limits; `--event-span emission` ties event time to
 * the rate instead (record n at start + n / rate, at most 6 h), with no history, limits or fraud.
 */
import { z } from 'zod';
import { ConfigError, type KafkaSecurity } from '../../processor/index.ts';
import { DEFAULT_PRODUCT_TOPICS } from '../../topologies/product.ts';
import { parseDuration } from '../../processor/durations.ts';
import { streamsConfigFrom } from '../env-config.ts';
import { registrySecurityFromEnv } from '../security-env.ts';
import type { RegistrySecurity } from '../../schemas/index.ts';
import { MAX_ACCOUNTS } from './accounts.ts';
import type { GeneratorRunOptions } from './run.ts';
import { MAX_EVENT_TIME_SPAN_MS, recordsWithinSpan, spacingMsFor } from './traffic.ts';
import { DEFAULT_REGISTRY_URL } from '../product-config.ts';
import { RULE_IDS, type RuleId } from './definitions.ts';
import { DAY_MS, HOUR_MS } from './timeline.ts';

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
  eventSpan?: string;
  historyDays?: string;
  fraudRate?: string;
  patterns?: string;
  labels?: string;
  limitsTopic?: string;
  /** false with --no-limits. */
  limits?: boolean;
}

export interface GenerateConfig extends GeneratorRunOptions {
  brokers: string[];
  registryUrl: string;
  /** Print the summary as JSON (stdout) instead of a table. */
  json: boolean;
  /** Generate and write the expected balances without Kafka or the registry. */
  dryRun: boolean;
  /** Where the accounts' limits are published (realistic runs); null: not published. */
  limitsTopic: string | null;
  /** SALDO_KAFKA_* and SALDO_SCHEMA_REGISTRY_* (docs/security.md); absent for plain services. */
  kafkaSecurity?: KafkaSecurity | undefined;
  registrySecurity?: RegistrySecurity | undefined;
}

export const GENERATE_DEFAULTS = {
  accounts: 1_000,
  /** When neither a count nor a duration is given. */
  count: 10_000,
  seed: 1,
  batchSize: 500,
  registryUrl: DEFAULT_REGISTRY_URL,
  historyDays: 120,
  fraudRate: 0.01,
  limitsTopic: DEFAULT_PRODUCT_TOPICS.accountLimits,
} as const;

/**
 * The most event time realistic live traffic may span: holds expire 7 days after their
 * authorization and the expected balances do not model expiry, so every hold of a run stays open.
 */
export const MAX_REALISTIC_SPAN_MS = 6 * DAY_MS;
/** Per live record and account, when --event-span is not given: about eight records a day each. */
const DEFAULT_SPAN_PER_RECORD_AND_ACCOUNT_MS = 3 * HOUR_MS;

/** --event-span when not given: from the records each account sends, within [1 h, 6 d]. */
export function defaultEventSpanMs(records: number, accounts: number): number {
  const span = Math.round((records / accounts) * DEFAULT_SPAN_PER_RECORD_AND_ACCOUNT_MS);
  return Math.min(MAX_REALISTIC_SPAN_MS, Math.max(HOUR_MS, span));
}

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
    realistic: z
      .object({
        spanMs: number('a duration such as 36h or 3d, or emission')
          .int()
          .min(1)
          .max(MAX_REALISTIC_SPAN_MS, {
            error: `must be at most ${MAX_REALISTIC_SPAN_MS / DAY_MS}d: holds expire after 7 days`,
          }),
        historyDays: whole(0, 365),
        fraudRate: number('a share from 0 to 1 (0.01: one story in a hundred)').min(0).max(1),
        patterns: z
          .array(z.enum(RULE_IDS, { error: `must be rule ids among ${RULE_IDS.join(', ')}` }))
          .min(1, 'name at least one pattern'),
      })
      .optional(),
    labelsPath: z.string().min(1).optional(),
    limitsTopic: z
      .string()
      .min(1)
      .max(249)
      .regex(/^[A-Za-z0-9._-]+$/, 'may use only letters, digits, ".", "_" and "-"')
      .nullable(),
  })
  .superRefine((config, ctx) => {
    if (config.count === undefined && config.durationMs === undefined) {
      ctx.addIssue({ code: 'custom', path: ['count'], message: 'give a count, a duration or both' });
    }
    if (config.realistic !== undefined) {
      if (config.count === undefined && (config.rate === undefined || config.durationMs === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: ['count'],
          message:
            'realistic event time spreads a known number of records: give a count, or a rate and a duration (or --event-span emission)',
        });
      }
      return;
    }
    if (config.labelsPath !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['labelsPath'],
        message: 'labels need realistic event time (not --event-span emission)',
      });
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
  realistic: '--event-span, --history-days, --fraud-rate or --patterns',
  labelsPath: '--labels',
  limitsTopic: '--limits-topic (SALDO_LIMITS_TOPIC)',
};
const REALISTIC_FLAG_OF: Record<string, string> = {
  spanMs: '--event-span',
  historyDays: '--history-days',
  fraudRate: '--fraud-rate',
  patterns: '--patterns',
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
  const givenCount = numberFrom(flags.count);
  const durationMs = durationFrom(flags.duration);
  const count = givenCount === undefined && durationMs === undefined ? GENERATE_DEFAULTS.count : givenCount;
  const accounts = numberFrom(flags.accounts) ?? GENERATE_DEFAULTS.accounts;
  const rate = numberFrom(flags.rate);
  const realistic = realisticFrom(flags, { count, rate, durationMs, accounts });
  // Realistic runs end now by default: no event time ahead of the clock.
  const defaultStart =
    realistic === undefined || !Number.isFinite(realistic.spanMs) ? now : now - realistic.spanMs;
  const engine = streamsConfigFrom(env, { brokers: flags.brokers });
  const input = {
    accounts,
    count,
    durationMs,
    rate,
    seed: numberFrom(flags.seed) ?? GENERATE_DEFAULTS.seed,
    startTime: timeFrom(flags.startTime, defaultStart),
    topic: flags.topic ?? env.SALDO_TRANSACTIONS_TOPIC ?? DEFAULT_PRODUCT_TOPICS.transactions,
    expectedPath: flags.expected,
    batchSize: numberFrom(flags.batchSize) ?? GENERATE_DEFAULTS.batchSize,
    // The one reading of KAFKA_BROKERS (and its default) is the engine's.
    brokers: engine.brokers,
    registryUrl: flags.registryUrl ?? env.SCHEMA_REGISTRY_URL ?? GENERATE_DEFAULTS.registryUrl,
    json: flags.json ?? false,
    dryRun: flags.dryRun ?? false,
    realistic,
    labelsPath: flags.labels,
    limitsTopic:
      flags.limits === false || realistic === undefined
        ? null
        : (flags.limitsTopic ?? env.SALDO_LIMITS_TOPIC ?? GENERATE_DEFAULTS.limitsTopic),
  };
  const parsed = generateConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const flag = key === 'realistic' ? REALISTIC_FLAG_OF[String(issue.path[1] ?? '')] : FLAG_OF[key];
      return `  - ${flag ?? (key || '(options)')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid saldo generate options:\n${problems.join('\n')}`);
  }
  return {
    ...parsed.data,
    kafkaSecurity: engine.kafkaSecurity,
    registrySecurity: registrySecurityFromEnv(env, parsed.data.registryUrl),
  };
}

/** The realistic options from the flags; undefined with --event-span emission. */
function realisticFrom(
  flags: GenerateFlags,
  run: {
    count: number | undefined;
    rate: number | undefined;
    durationMs: number | undefined;
    accounts: number;
  },
): GenerateConfig['realistic'] {
  if (flags.eventSpan?.trim() === 'emission') return undefined;
  const records =
    run.count ??
    (run.rate !== undefined && run.durationMs !== undefined
      ? (run.rate * run.durationMs) / 1_000
      : undefined);
  const spanMs =
    flags.eventSpan !== undefined
      ? durationFrom(flags.eventSpan)
      : records !== undefined && Number.isFinite(records) && Number.isFinite(run.accounts) && run.accounts > 0
        ? defaultEventSpanMs(records, run.accounts)
        : MAX_REALISTIC_SPAN_MS;
  const patterns =
    flags.patterns === undefined
      ? [...RULE_IDS]
      : flags.patterns
          .split(',')
          .map((pattern) => pattern.trim())
          .filter((pattern) => pattern.length > 0);
  return {
    spanMs: spanMs as number,
    historyDays: numberFrom(flags.historyDays) ?? GENERATE_DEFAULTS.historyDays,
    fraudRate: numberFrom(flags.fraudRate) ?? GENERATE_DEFAULTS.fraudRate,
    patterns: patterns as RuleId[],
  };
}
