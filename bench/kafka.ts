/** Broker discovery and the admin look-ups the benchmark needs (offsets, topics, groups). */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { withAdmin } from '../processor/kafka/kafkajs/admin.ts';

export { withAdmin };

export const DEFAULT_BROKERS = '127.0.0.1:19092';

export function benchKafka(brokers: string[], clientId = 'saldo-bench'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 200 },
  });
}

/** True when a broker answers a metadata request within a couple of seconds. */
export async function brokerAnswers(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'saldo-bench-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface ResolvedBrokers {
  brokers: string[];
  /** How they were found. */
  source: 'KAFKA_BROKERS' | 'default' | 'local platform (started)';
}

/**
 * KAFKA_BROKERS, else 127.0.0.1:19092. When nothing answers and KAFKA_BROKERS is not set, the local
 * platform's Kafka is started (scripts/platform, `platform:up --only kafka`) and left running.
 */
export async function resolveBrokers(
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<ResolvedBrokers> {
  const fromEnv = env.KAFKA_BROKERS?.trim();
  const brokers = (fromEnv || DEFAULT_BROKERS)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (await brokerAnswers(brokers)) return { brokers, source: fromEnv ? 'KAFKA_BROKERS' : 'default' };
  if (fromEnv) throw new Error(`no Kafka broker answers at KAFKA_BROKERS=${fromEnv}`);
  log(`no broker answers at ${brokers.join(',')}; starting the local platform's Kafka (scripts/platform)`);
  const { platformUp } = await import('../scripts/platform/index.ts');
  const up = await platformUp({ only: ['kafka'], log });
  const started = up.endpoints.kafkaBrokers.split(',');
  if (!(await brokerAnswers(started)))
    throw new Error(`the local platform's Kafka does not answer at ${up.endpoints.kafkaBrokers}`);
  return { brokers: started, source: 'local platform (started)' };
}

export async function createTopics(admin: Admin, topics: string[], partitions: number): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
  });
}

/** High watermark per partition. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

/** The group's committed offset per partition of one topic (partitions without a commit are absent). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const result = new Map<number, number>();
  for (const p of fetched?.partitions ?? []) {
    const offset = Number(p.offset);
    if (offset >= 0) result.set(p.partition, offset);
  }
  return result;
}

/** Records between the group's committed offsets and the ends: 0 once everything is committed. */
export function lag(ends: Map<number, number>, committed: Map<number, number>): number {
  let total = 0;
  for (const [p, end] of ends) total += Math.max(0, end - (committed.get(p) ?? 0));
  return total;
}

/** Deletes what a run created: its topics, and every consumer group whose id starts with the run's prefix. */
export async function cleanUp(admin: Admin, topics: string[], groupPrefix: string): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  if (present.length > 0)
    await admin.deleteTopics({ topics: present, timeout: 30_000 }).catch(() => undefined);
  // The apps' groups and the changelog readers' throwaway groups (left behind by a killed engine).
  const { groups } = await admin.listGroups();
  const ours = groups.map((g) => g.groupId).filter((g) => g.startsWith(groupPrefix));
  if (ours.length > 0) await admin.deleteGroups(ours).catch(() => undefined);
}
