import { randomUUID } from 'node:crypto';
import type { Kafka, Admin } from 'kafkajs';
import type { ChangelogReader, ChangelogReadOptions } from '../client.ts';
import type { ConsumedRecord, TopicPartition } from '../../records.ts';
import { tpKey } from '../../records.ts';
import { RestoreError } from '../../errors.ts';
import { fixedAssigner } from './assigner.ts';
import { toConsumedRecord } from './group-consumer.ts';

/**
 * Reads changelog partitions with read_committed from a start offset up to an end offset.
 * kafkajs has no manual partition assignment, so the reader is the only member of a throwaway
 * group whose assigner hands it exactly the partitions to restore; it seeks each to its start offset
 * and ignores anything fetched before the seek took effect. The group is deleted afterwards.
 */
export class KafkaJsChangelogReader implements ChangelogReader {
  readonly #kafka: Kafka;
  readonly #admin: () => Promise<Admin>;
  readonly #groupPrefix: string;

  constructor(kafka: Kafka, admin: () => Promise<Admin>, groupPrefix: string) {
    this.#kafka = kafka;
    this.#admin = admin;
    this.#groupPrefix = groupPrefix;
  }

  async read(
    ranges: Array<TopicPartition & { from: number; to: number }>,
    onRecords: (records: ConsumedRecord[]) => Promise<void>,
    control: { heartbeat(): Promise<void> },
    options: ChangelogReadOptions = {},
  ): Promise<void> {
    const pending = ranges.filter((r) => r.from < r.to);
    if (pending.length === 0) return;

    const groupId = `${this.#groupPrefix}-restore-${randomUUID()}`;
    const admin = await this.#admin();
    const assignment: Record<string, number[]> = {};
    for (const r of pending) (assignment[r.topic] ??= []).push(r.partition);
    const startOf = new Map(pending.map((r) => [tpKey(r), r.from]));

    const remaining = new Map(pending.map((r) => [tpKey(r), r.to]));
    // With throughOpenTransactions, each partition's end moves once, to the high watermark of its
    // first fetch: past the transactions open when the read began, not after the ones begun since.
    const extended = new Set<string>();
    const extendToHighWatermark = (key: string, highWatermark: string | number | undefined) => {
      if (!options.throughOpenTransactions || highWatermark === undefined || extended.has(key)) return;
      extended.add(key);
      const end = remaining.get(key);
      if (end !== undefined && Number(highWatermark) > end) remaining.set(key, Number(highWatermark));
    };
    const consumer = this.#kafka.consumer({
      groupId,
      partitionAssigners: [fixedAssigner(assignment)],
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 50,
      maxBytesPerPartition: 1024 * 1024,
      maxBytes: 4 * 1024 * 1024,
    });

    let settle: (error?: Error) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => {
      settle = (error?: Error) => (error ? reject(error) : resolve());
    });
    // It may fail while the consumer is still joining, before anything awaits it: the failure is
    // read at `await finished`, not reported as unhandled meanwhile.
    finished.catch(() => undefined);
    const reached = (topic: string, partition: number, lastOffset: number) => {
      const key = tpKey({ topic, partition });
      const end = remaining.get(key);
      if (end !== undefined && lastOffset + 1 >= end) remaining.delete(key);
      if (remaining.size === 0) settle();
    };
    let lastHeartbeat = Date.now();
    // Batches made only of transaction markers never reach eachBatch; their end shows here.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, highWatermark, lastOffset } = event.payload;
      extendToHighWatermark(tpKey({ topic, partition }), highWatermark);
      reached(topic, partition, Number(lastOffset));
    });
    // kafkajs restarts the consumer after a retriable crash (a coordinator still loading, say);
    // only a crash it gives up on ends the restore.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      settle(
        new RestoreError(`changelog reader crashed: ${event.payload.error.message}`, {
          cause: event.payload.error,
        }),
      );
    });

    try {
      await consumer.connect();
      await consumer.subscribe({ topics: Object.keys(assignment), fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: pending.length,
        eachBatch: async ({ batch }) => {
          const key = tpKey({ topic: batch.topic, partition: batch.partition });
          extendToHighWatermark(key, batch.highWatermark);
          const end = remaining.get(key);
          if (end === undefined) return;
          const from = startOf.get(key) ?? 0;
          const records: ConsumedRecord[] = [];
          for (const m of batch.messages) {
            const offset = Number(m.offset);
            if (offset < from) continue; // fetched before the seek took effect
            if (offset >= end) break;
            records.push(toConsumedRecord(batch.topic, batch.partition, m));
          }
          if (records.length > 0) await onRecords(records);
          if (Date.now() - lastHeartbeat > 1_000) {
            lastHeartbeat = Date.now();
            await control.heartbeat();
          }
          reached(batch.topic, batch.partition, Number(batch.lastOffset()));
        },
      });
      // Start each partition at the store's checkpoint. (admin.setOffsets would do it before the
      // join, but it runs a consumer of its own and costs seconds per restore.)
      for (const r of pending)
        consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.from) });
      await finished;
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
    }
  }
}
