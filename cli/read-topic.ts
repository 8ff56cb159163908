/**
 * Reads a topic from its beginning to its end offsets as they were when reading began
 * (read_committed: records of aborted or open transactions are not seen), through the project's
 * Kafka boundary, the way an outside reader checks what saldo wrote (`saldo verify`, `saldo
 * evaluate`).
 */
import { createLogger } from '../processor/index.ts';
import type { KafkaClientAdapter } from '../processor/index.ts';
import { tpKey, type ConsumedRecord, type TopicPartition } from '../processor/records.ts';
import { KafkaJsAdapter } from '../processor/kafka/kafkajs/index.ts';
import type { KafkaSecurity } from '../processor/index.ts';
import type { ChangelogReadOptions } from '../processor/kafka/client.ts';

export interface TopicReadOptions {
  brokers: string[];
  topic: string;
  clientId: string;
  kafkaSecurity?: KafkaSecurity | undefined;
  /**
   * Wait for the transactions open when reading began and read their records too (see
   * ChangelogReadOptions): for checks of what saldo wrote, right after its input was committed.
   * Such a read can wait up to the writers' transaction timeout (60 s) for one left open by a killed
   * instance; the operators' views (status, dlq, state) do not wait.
   */
  throughOpenTransactions?: boolean;
}

/** The topic does not exist. */
export class MissingTopicError extends Error {
  constructor(topic: string) {
    super(`topic ${topic} does not exist`);
    this.name = 'MissingTopicError';
  }
}

/** Hands every record with a value to `onRecord`, in offset order per partition. */
export async function readTopicToEnd(
  options: TopicReadOptions,
  onRecord: (value: Buffer, record: ConsumedRecord) => Promise<void> | void,
): Promise<void> {
  await readRecordsToEnd(options, async (record) => {
    if (record.value !== null) await onRecord(record.value, record);
  });
}

/** Hands every record, tombstones too, to `onRecord`, in offset order per partition. */
export async function readRecordsToEnd(
  options: TopicReadOptions,
  onRecord: (record: ConsumedRecord) => Promise<void> | void,
): Promise<void> {
  const adapter = new KafkaJsAdapter({
    clientId: options.clientId,
    brokers: options.brokers,
    security: options.kafkaSecurity,
    logger: createLogger({ level: 'error' }),
    groupPrefix: options.clientId,
  });
  try {
    const admin = await adapter.admin();
    const partitions = (await admin.partitionCounts([options.topic])).get(options.topic);
    if (partitions === undefined) throw new MissingTopicError(options.topic);
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: options.topic, partition }));
    await readPartitionsToEnd(adapter, tps, onRecord, {
      throughOpenTransactions: options.throughOpenTransactions ?? false,
    });
  } finally {
    await adapter.close();
  }
}

/**
 * Hands every record of these partitions, from their start to their end offsets as they are now
 * (read_committed), to `onRecord`, in offset order per partition, through an adapter the caller
 * holds.
 */
export async function readPartitionsToEnd(
  adapter: KafkaClientAdapter,
  partitions: readonly TopicPartition[],
  onRecord: (record: ConsumedRecord) => Promise<void> | void,
  options: ChangelogReadOptions = {},
): Promise<void> {
  const ranges = await (await adapter.admin()).offsetRange([...partitions]);
  const wanted = partitions.flatMap((tp) => {
    const range = ranges.get(tpKey(tp));
    return range === undefined ? [] : [{ ...tp, from: range.start, to: range.end }];
  });
  await readRanges(adapter, wanted, onRecord, options);
}

/**
 * Hands every record of these ranges (read_committed, `from` inclusive, `to` exclusive) to
 * `onRecord`, in offset order per partition, through an adapter the caller holds.
 */
export async function readRanges(
  adapter: KafkaClientAdapter,
  ranges: ReadonlyArray<TopicPartition & { from: number; to: number }>,
  onRecord: (record: ConsumedRecord) => Promise<void> | void,
  options: ChangelogReadOptions = {},
): Promise<void> {
  const wanted = ranges.filter((range) => range.to > range.from);
  if (wanted.length === 0) return;
  await adapter.changelogReader().read(
    wanted,
    async (records: ConsumedRecord[]) => {
      for (const record of records) await onRecord(record);
    },
    { heartbeat: async () => undefined },
    options,
  );
}
