import { z } from 'zod';
import { ConfigError } from '../processor/index.ts';
import {
  DEFAULT_FRAUD_GRACE_MS,
  DEFAULT_PRODUCT_SETTINGS,
  DEFAULT_PRODUCT_TOPICS,
} from '../topologies/product.ts';
import {
  DEFAULT_RULES_FILE,
  parseRuleSet,
  readRuleSetFile,
  type RuleSet,
} from '../topologies/fraud/rule-set.ts';
import { parseDuration } from '../processor/durations.ts';
import type { RegistrySecurity } from '../schemas/index.ts';
import type { RedisSecurity } from '../topologies/balances/redis-connection.ts';
import { redisSecurityFromEnv, registrySecurityFromEnv } from './security-env.ts';

/** Flags of `saldo run` (and the other product commands) beside the engine's. */
export interface ProductFlags {
  registryUrl?: string;
  redisUrl?: string;
  redisKeyPrefix?: string;
  transactionsTopic?: string;
  balancesTopic?: string;
  limitsTopic?: string;
  alertsTopic?: string;
  rules?: string;
  fraudGrace?: string;
  /** commander's `--no-fraud`: false runs the balances alone. */
  fraud?: boolean;
  holdExpiry?: string;
  dedupRetention?: string;
  maxEventTimeAhead?: string;
}

const topicName = z
  .string()
  .min(1)
  .max(249)
  .regex(/^[A-Za-z0-9._-]+$/, 'may use only letters, digits, ".", "_" and "-"');

/** A duration in ms, or text such as 7d; `source` names the flag and variable in the message. */
const duration = (source: string) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : parseDuration(value);
    if (ms === undefined || !Number.isSafeInteger(ms) || ms <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `'${value}' is not a duration such as 7d, 36h, 90m, 30s (${source})`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** The product's configuration, validated once at start-up with every problem reported at once. */
export const productConfigSchema = z.object({
  schemaRegistryUrl: z.url(),
  redisUrl: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL'),
  redisKeyPrefix: z.string().max(100),
  topics: z.object({
    transactions: topicName,
    balances: topicName,
    accountLimits: topicName,
    fraudAlerts: topicName,
  }),
  rulesFile: z.string().min(1),
  fraudEnabled: z.boolean(),
  fraudGraceMs: duration('--fraud-grace, SALDO_FRAUD_GRACE'),
  holdExpiryMs: duration('--hold-expiry, SALDO_HOLD_EXPIRY'),
  dedupRetentionMs: duration('--dedup-retention, SALDO_DEDUP_RETENTION'),
  maxEventTimeAheadMs: duration('--max-event-time-ahead, SALDO_MAX_EVENT_TIME_AHEAD'),
});

export type ProductConfig = z.output<typeof productConfigSchema> & {
  /** The rule set file's JSON, checked (stream threads are handed the JSON). */
  rules: unknown;
  ruleSet: RuleSet;
  /** Credentials and CAs (SALDO_REDIS_*, SALDO_SCHEMA_REGISTRY_*): absent when none is set. */
  redisSecurity?: RedisSecurity;
  registrySecurity?: RegistrySecurity;
};

/** The local platform's registry and Redis (npm run platform:up). */
export const DEFAULT_REGISTRY_URL = 'http://127.0.0.1:18081/apis/ccompat/v7';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:16379';

/**
 * Reads the product's settings from the environment (SCHEMA_REGISTRY_URL, REDIS_URL, SALDO_*),
 * overridden by flags; validates them.
 */
export function productConfigFrom(env: NodeJS.ProcessEnv, flags: ProductFlags): ProductConfig {
  const input = {
    schemaRegistryUrl: flags.registryUrl ?? env.SCHEMA_REGISTRY_URL ?? DEFAULT_REGISTRY_URL,
    redisUrl: flags.redisUrl ?? env.REDIS_URL ?? DEFAULT_REDIS_URL,
    redisKeyPrefix: flags.redisKeyPrefix ?? env.SALDO_REDIS_KEY_PREFIX ?? 'saldo:',
    topics: {
      transactions:
        flags.transactionsTopic ?? env.SALDO_TRANSACTIONS_TOPIC ?? DEFAULT_PRODUCT_TOPICS.transactions,
      balances: flags.balancesTopic ?? env.SALDO_BALANCES_TOPIC ?? DEFAULT_PRODUCT_TOPICS.balances,
      accountLimits: flags.limitsTopic ?? env.SALDO_LIMITS_TOPIC ?? DEFAULT_PRODUCT_TOPICS.accountLimits,
      fraudAlerts: flags.alertsTopic ?? env.SALDO_ALERTS_TOPIC ?? DEFAULT_PRODUCT_TOPICS.fraudAlerts,
    },
    rulesFile: flags.rules ?? env.SALDO_RULES ?? DEFAULT_RULES_FILE,
    fraudEnabled: flags.fraud === false ? false : env.SALDO_FRAUD !== 'off',
    fraudGraceMs: flags.fraudGrace ?? env.SALDO_FRAUD_GRACE ?? DEFAULT_FRAUD_GRACE_MS,
    holdExpiryMs: flags.holdExpiry ?? env.SALDO_HOLD_EXPIRY ?? DEFAULT_PRODUCT_SETTINGS.holdExpiryMs,
    dedupRetentionMs:
      flags.dedupRetention ?? env.SALDO_DEDUP_RETENTION ?? DEFAULT_PRODUCT_SETTINGS.dedupRetentionMs,
    maxEventTimeAheadMs:
      flags.maxEventTimeAhead ??
      env.SALDO_MAX_EVENT_TIME_AHEAD ??
      DEFAULT_PRODUCT_SETTINGS.maxEventTimeAheadMs,
  };
  const parsed = productConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  - ${issue.path.join('.') || '(config)'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid saldo configuration:\n${problems.join('\n')}`);
  }
  const redisSecurity = redisSecurityFromEnv(env, parsed.data.redisUrl);
  const registrySecurity = registrySecurityFromEnv(env, parsed.data.schemaRegistryUrl);
  // The rule set is checked here, once, so that a bad file stops the start with its problems.
  const rules = readRuleSetFile(parsed.data.rulesFile);
  return {
    ...parsed.data,
    rules,
    ruleSet: parseRuleSet(rules, parsed.data.rulesFile),
    ...(redisSecurity === undefined ? {} : { redisSecurity }),
    ...(registrySecurity === undefined ? {} : { registrySecurity }),
  };
}

/** The product settings of a validated config (what topologies/product.ts takes). */
export function productSettingsOf(config: ProductConfig): typeof DEFAULT_PRODUCT_SETTINGS {
  return {
    holdExpiryMs: config.holdExpiryMs,
    dedupRetentionMs: config.dedupRetentionMs,
    maxEventTimeAheadMs: config.maxEventTimeAheadMs,
    fraud: config.fraudEnabled ? { rules: config.rules, graceMs: config.fraudGraceMs } : null,
  };
}
