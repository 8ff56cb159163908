import type { Consumer, ConsumerGroupJoinEvent, Kafka, KafkaMessage, IHeaders } from 'kafkajs';
import type { GroupConsumer, GroupConsumerOptions } from '../client.ts';
import type { ConsumedRecord, Headers, TopicPartitionOffset } from '../../records.ts';
import { setHeader } from '../../records.ts';
import { decodeAssignment } from '../../assignment/assignment-info.ts';
import { stateAwareAssigner } from './assigner.ts';

export function toHeaders(headers: IHeaders | undefined): Headers {
  // A fresh object per record (processors may add headers to what they forward). for-in rather
  // than Object.entries: no array per record, and most records have no headers.
  const out: Headers = {};
  if (!headers) return out;
  for (const k in headers) {
    if (!Object.hasOwn(headers, k)) continue;
    const v = headers[k];
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first === undefined) continue;
    setHeader(out, k, Buffer.isBuffer(first) ? first : Buffer.from(String(first)));
  }
  return out;
}

export function toConsumedRecord(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key,
    value: m.value,
    headers: toHeaders(m.headers),
  };
}

/** The group member of an app instance: kafkajs' consumer with eachBatch, manual offsets, read_committed. */
export class KafkaJsGroupConsumer implements GroupConsumer {
  readonly #kafka: Kafka;
  readonly #opts: GroupConsumerOptions;
  #consumer: Consumer | undefined;

  constructor(kafka: Kafka, opts: GroupConsumerOptions) {
    this.#kafka = kafka;
    this.#opts = opts;
  }

  get consumer(): Consumer | undefined {
    return this.#consumer;
  }

  async start(): Promise<void> {
    const opts = this.#opts;
    const consumer = this.#kafka.consumer({
      groupId: opts.groupId,
      partitionAssigners: [
        stateAwareAssigner({
          subscription: opts.subscription,
          changelogTopics: opts.changelogTopics,
          settings: opts.assignorSettings,
        }),
      ],
      sessionTimeout: opts.sessionTimeoutMs,
      heartbeatInterval: opts.heartbeatIntervalMs,
      rebalanceTimeout: Math.max(opts.sessionTimeoutMs, 60_000),
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      // A decoded fetch is much of the live heap, and processing one delays commits.
      maxBytes: opts.fetchMaxBytes,
      maxBytesPerPartition: opts.fetchMaxBytesPerPartition,
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 10_000 },
    });
    this.#consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) => {
      const assignment = event.payload.memberAssignment;
      const partitions = new Set<number>();
      for (const list of Object.values(assignment)) for (const p of list) partitions.add(p);
      // memberAssignmentUserData and generationId: scripts/patches (kafkajs dropped them).
      const payload = event.payload as typeof event.payload & {
        memberAssignmentUserData?: Buffer | null;
        generationId?: number;
      };
      opts.onAssignment(
        [...partitions].sort((a, b) => a - b),
        payload.memberId,
        decodeAssignment(payload.memberAssignmentUserData),
        payload.generationId ?? -1,
        event.payload.duration,
      );
    });
    consumer.on(consumer.events.CRASH, (event) => {
      opts.onCrash?.(event.payload.error, event.payload.restart);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: opts.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.maxConcurrentPartitions,
      eachBatch: async ({ batch, heartbeat, isStale, isRunning, resolveOffset }) => {
        const records = batch.messages.map((m) => toConsumedRecord(batch.topic, batch.partition, m));
        await opts.onBatch(
          {
            topic: batch.topic,
            partition: batch.partition,
            fetchedOffset: Number((batch as unknown as { fetchedOffset: string }).fetchedOffset),
            records,
            lastOffset: Number(batch.lastOffset()),
            highWatermark: Number(batch.highWatermark),
          },
          {
            heartbeat,
            isStale: () => isStale() || !isRunning(),
            resolve: (offset) => resolveOffset(String(offset)),
          },
        );
      },
    });
  }

  seek(tp: TopicPartitionOffset): void {
    this.#consumer?.seek({ topic: tp.topic, partition: tp.partition, offset: String(tp.offset) });
  }

  requestRejoin(): void {
    // requestRejoin: scripts/patches (kafkajs has no way to make a running member rejoin).
    (this.#consumer as (Consumer & { requestRejoin?: () => void }) | undefined)?.requestRejoin?.();
  }

  async stop(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    if (consumer) await consumer.disconnect();
  }
}
