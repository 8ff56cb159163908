import { z } from 'zod';
import { ConfigError } from '../../processor/index.ts';
import { parseDuration } from '../../processor/durations.ts';
import { DEFAULT_PRODUCT_TOPICS } from '../../topologies/product.ts';
import { streamsConfigFrom } from '../env-config.ts';
import { kafkaSecurityFromEnv, registrySecurityFromEnv } from '../security-env.ts';
import { evaluateAlerts, readAlerts, type Evaluation } from '../evaluate/index.ts';
import { RULE_IDS, readLabels } from '../generate/index.ts';
import { DEFAULT_REGISTRY_URL } from '../product-config.ts';

export interface EvaluateFlags {
  labels: string;
  topic?: string;
  brokers?: string;
  registryUrl?: string;
  timeout?: string;
  json?: boolean;
}

export interface EvaluateConfig {
  labelsPath: string;
  topic: string;
  brokers: string[];
  registryUrl: string;
  timeoutMs: number;
  json: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;

const schema = z.object({
  labelsPath: z.string().min(1),
  topic: z
    .string()
    .min(1)
    .max(249)
    .regex(/^[A-Za-z0-9._-]+$/, 'may use only letters, digits, ".", "_" and "-"'),
  brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1),
  registryUrl: z.url(),
  timeoutMs: z.number({ error: 'must be a duration such as 30s or 2m' }).int().min(1),
  json: z.boolean(),
});

const FLAG_OF: Record<string, string> = {
  labelsPath: '--labels',
  topic: '--topic (SALDO_ALERTS_TOPIC)',
  brokers: '--brokers (KAFKA_BROKERS)',
  registryUrl: '--registry-url (SCHEMA_REGISTRY_URL)',
  timeoutMs: '--timeout',
};

/** The validated options of `saldo evaluate` from flags and the environment. */
export function evaluateConfigFrom(env: NodeJS.ProcessEnv, flags: EvaluateFlags): EvaluateConfig {
  const parsed = schema.safeParse({
    labelsPath: flags.labels,
    topic: flags.topic ?? env.SALDO_ALERTS_TOPIC ?? DEFAULT_PRODUCT_TOPICS.fraudAlerts,
    brokers: streamsConfigFrom(env, { brokers: flags.brokers }).brokers,
    registryUrl: flags.registryUrl ?? env.SCHEMA_REGISTRY_URL ?? DEFAULT_REGISTRY_URL,
    timeoutMs:
      flags.timeout === undefined ? DEFAULT_TIMEOUT_MS : (parseDuration(flags.timeout) ?? Number.NaN),
    json: flags.json ?? false,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `  - ${FLAG_OF[key] ?? (key || '(options)')}: ${issue.message}`;
    });
    throw new ConfigError(`invalid saldo evaluate options:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

/**
 * `saldo evaluate --labels <file>`: every alert on the fraud-alerts topic (read_committed, from the
 * beginning to the end offsets) scored against the labels of `saldo generate --labels`.
 */
export async function evaluateCommand(
  flags: EvaluateFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Evaluation> {
  const config = evaluateConfigFrom(env, flags);
  const labels = await readLabels(config.labelsPath);
  const alerts = await readAlerts({
    brokers: config.brokers,
    registryUrl: config.registryUrl,
    kafkaSecurity: kafkaSecurityFromEnv(env),
    registrySecurity: registrySecurityFromEnv(env, config.registryUrl),
    topic: config.topic,
    clientId: 'saldo-evaluate',
    timeoutMs: config.timeoutMs,
  });
  return evaluateAlerts(alerts, labels, RULE_IDS);
}
