import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { decodeCommitMetadata } from '../../processor/commit-metadata.ts';
import type { GeneratedTransaction } from './counting.ts';
import { uniqueName } from './services.ts';
import { waitUntil, type InstanceProcess } from './instance-process.ts';

/**
 * Kafka-side observations for the multi-instance tests: how far the app's group has committed its
 * input, and every read_committed record of an output topic up to its end — so that a test can
 * count outputs exactly instead of stopping at "enough".
 */

export async function topicEndOffsets(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

export async function groupCommittedOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number>> {
  const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((fetched?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

/** Per partition, the stream time the engine committed with its offset (saldo's offset metadata). */
export async function groupCommittedStreamTimes(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<Map<number, number | undefined>> {
  const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(
    (fetched?.partitions ?? []).map((p) => [p.partition, decodeCommitMetadata(p.metadata)?.streamTime]),
  );
}

/**
 * Waits until the group has committed the whole input topic (committed offset = end offset on every
 * partition, and the ends add up to `expectedRecords`): every input record was processed, and with
 * exactly-once its outputs were committed in the same transaction.
 */
export async function waitForInputCommitted(
  admin: Admin,
  opts: {
    groupId: string;
    topic: string;
    expectedRecords: number;
    timeoutMs: number;
    instances?: InstanceProcess[];
  },
): Promise<void> {
  let last = '';
  await waitUntil(
    async () => {
      let ends: Map<number, number>;
      let committed: Map<number, number>;
      try {
        ends = await topicEndOffsets(admin, opts.topic);
        committed = await groupCommittedOffsets(admin, opts.groupId, opts.topic);
      } catch (error) {
        // A broker that just came back answers "coordinator loading" for a while: ask again.
        if ((error as { retriable?: boolean }).retriable) return false;
        throw error;
      }
      const total = [...ends.values()].reduce((a, b) => a + b, 0);
      last = [...ends].map(([p, end]) => `p${p}: ${committed.get(p) ?? -1}/${end}`).join(', ');
      if (total !== opts.expectedRecords) return false;
      return [...ends].every(([p, end]) => committed.get(p) === end);
    },
    {
      timeoutMs: opts.timeoutMs,
      pollMs: 500,
      what: `group ${opts.groupId} to commit all ${opts.expectedRecords} records of ${opts.topic}`,
      instances: opts.instances ?? [],
      detail: () => `committed/end per partition: ${last}`,
    },
  );
}

export interface CommittedRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
}

/**
 * Reads a topic with read_committed from the beginning up to the end offsets it has now, and returns
 * every record, in offset order per partition. Progress is tracked through the batches' last offsets,
 * which include transaction markers, so the read ends even when a partition ends in a marker.
 *
 * "The end it has now" is the high watermark, not the last stable offset that ListOffsets
 * (read_committed) answers: a transaction's markers reach its partitions one by one, so just after
 * the input's offsets became visible an output partition can still hold that transaction open, and
 * a read up to its last stable offset would end before the transaction's records (seen in CI,
 * 2026-12-07). Each fetched batch carries its partition's high watermark; the read goes on to it,
 * so it waits for the markers (and times out, naming the partition, on a transaction that stays
 * open). A partition with no committed record at all when the read starts is read to 0.
 */
export async function readCommittedToEnd(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  timeoutMs = 60_000,
): Promise<CommittedRecord[]> {
  const ends = await topicEndOffsets(admin, topic);
  const position = new Map<number, number>([...ends.keys()].map((p) => [p, 0]));
  const reachedEnd = () => [...ends].every(([p, end]) => (position.get(p) ?? 0) >= end);
  const records: CommittedRecord[] = [];
  if (reachedEnd()) return records;

  const consumer = kafka.consumer({
    groupId: uniqueName('instance-reader'),
    readUncommitted: false,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    let settle: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (settle = resolve));
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { partition, lastOffset, highWatermark } = event.payload;
      position.set(partition, Math.max(position.get(partition) ?? 0, Number(lastOffset) + 1));
      ends.set(partition, Math.max(ends.get(partition) ?? 0, Number(highWatermark)));
      if (reachedEnd()) settle();
    });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (Number(m.offset) >= (ends.get(batch.partition) ?? 0)) break;
          records.push({
            partition: batch.partition,
            offset: Number(m.offset),
            key: m.key?.toString() ?? null,
            value: m.value?.toString() ?? null,
          });
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const where = [...ends].map(([p, end]) => `p${p}: ${position.get(p)}/${end}`).join(', ');
        reject(
          new Error(
            `reading ${topic} (read_committed) did not reach its high watermark within ${timeoutMs} ms ` +
              `(a transaction still open there?): ${where}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      await Promise.race([done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/**
 * Produces transactions in small chunks with a pause between them: input that keeps flowing while
 * the test kills or freezes instances. Resolves when all are acknowledged.
 */
export async function produceFlowing(
  kafka: Kafka,
  topic: string,
  txs: GeneratedTransaction[],
  opts: { chunk: number; pauseMs: number; keepPacing?: () => boolean },
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < txs.length; i += opts.chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: txs
          .slice(i, i + opts.chunk)
          .map((t) => ({ key: t.account, value: JSON.stringify(t.input) })),
      });
      // Once `keepPacing` says no, the rest goes without pauses.
      if (i + opts.chunk < txs.length && (opts.keepPacing?.() ?? true)) {
        await new Promise((r) => setTimeout(r, opts.pauseMs));
      }
    }
  } finally {
    await producer.disconnect();
  }
}

const defaultPartitioner = Partitioners.DefaultPartitioner();

/** The partition kafkajs' default partitioner (murmur2, as Java's) gives `key` among `partitions` partitions. */
export function partitionOfKey(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return defaultPartitioner({ topic: 'any', partitionMetadata, message: { key, value: null } });
}
