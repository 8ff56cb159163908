import type { Consumer, Kafka, Producer, RecordMetadata, Transaction, Message } from 'kafkajs';
import { TaskCommitError, TaskFencedError } from '../../errors.ts';
import type { CommitUnit, OutgoingRecord, ProducedOffsets, TopicPartitionOffset } from '../client.ts';
import { isConcurrentTransactions, isFencingError } from './errors.ts';
import { javaCompatiblePartitioner } from './partitioner.ts';

// A produce request's record batch per partition must stay under the broker's message.max.bytes
// (1 MiB by default); larger commits are sent in several requests within the same transaction.
const MAX_BYTES_PER_SEND = 512 * 1024;
// Introduced when kafkajs' per-partition grouping was quadratic (16% of the engine's CPU with
// 3,500-message sends). scripts/patches now makes that grouping linear; the bound stays until a
// benchmark shows that larger sends are no slower (fewer requests, larger batches).
const MAX_MESSAGES_PER_SEND = 1_000;

function recordSize(r: OutgoingRecord): number {
  let size = 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const headers = r.headers;
  // for-in, not Object.entries: no array per record, and most records have no headers.
  if (headers) for (const k in headers) size += k.length + (headers[k]?.length ?? 0) + 8;
  return size;
}

/** One produce request's worth of records, grouped per topic as kafkajs takes them. */
interface SendChunk {
  topicMessages: Array<{ topic: string; messages: Message[] }>;
  /** Per topic, records per explicit partition: only those (changelogs) need exact last offsets. */
  explicitCounts: Map<string, Map<number, number>>;
}

/**
 * Splits the records into sends under the size and count bounds, and builds each send's kafkajs
 * messages and explicit-partition counts in the same pass: this runs for every produced record.
 */
export function* chunksOf(records: OutgoingRecord[]): Generator<SendChunk> {
  let byTopic = new Map<string, Message[]>();
  let explicitCounts = new Map<string, Map<number, number>>();
  let inChunk = 0;
  let bytes = 0;
  const chunk = (): SendChunk => ({
    topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    explicitCounts,
  });
  for (const r of records) {
    const size = recordSize(r);
    if (inChunk > 0 && (bytes + size > MAX_BYTES_PER_SEND || inChunk >= MAX_MESSAGES_PER_SEND)) {
      yield chunk();
      byTopic = new Map();
      explicitCounts = new Map();
      inChunk = 0;
      bytes = 0;
    }
    inChunk++;
    bytes += size;
    let messages = byTopic.get(r.topic);
    if (messages === undefined) byTopic.set(r.topic, (messages = []));
    if (r.partition !== undefined) {
      let counts = explicitCounts.get(r.topic);
      if (counts === undefined) explicitCounts.set(r.topic, (counts = new Map()));
      counts.set(r.partition, (counts.get(r.partition) ?? 0) + 1);
    }
    // The record itself is the kafkajs message (it reads key, value, partition, headers and
    // timestamp, and changes none): no second object per record. kafkajs types the timestamp as a
    // string but only subtracts and orders it; the patched encoder orders epoch ms numerically.
    messages.push(r as unknown as Message);
  }
  if (inChunk > 0) yield chunk();
}

/** Sends every record; returns the last offset of each explicitly partitioned topic-partition. */
async function sendAll(
  send: (batch: {
    topicMessages: Array<{ topic: string; messages: Message[] }>;
  }) => Promise<RecordMetadata[]>,
  records: OutgoingRecord[],
): Promise<ProducedOffsets> {
  const produced: ProducedOffsets = new Map();
  for (const { topicMessages, explicitCounts } of chunksOf(records)) {
    const metadata = await send({ topicMessages });
    for (const m of metadata) {
      const count = explicitCounts.get(m.topicName)?.get(m.partition);
      if (count === undefined || m.baseOffset === undefined) continue;
      produced.set(`${m.topicName}:${m.partition}`, Number(m.baseOffset) + count - 1);
    }
  }
  return produced;
}

interface PartitionOffset {
  partition: number;
  offset: string;
  metadata?: string;
}

/** An input offset as kafkajs commits it, with its metadata (the task's stream time) when set. */
function partitionOffset(o: TopicPartitionOffset): PartitionOffset {
  const entry: PartitionOffset = { partition: o.partition, offset: String(o.offset) };
  if (o.metadata !== undefined) entry.metadata = o.metadata;
  return entry;
}

function offsetsByTopic(
  offsets: TopicPartitionOffset[],
): Array<{ topic: string; partitions: PartitionOffset[] }> {
  const byTopic = new Map<string, PartitionOffset[]>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) byTopic.set(o.topic, (list = []));
    list.push(partitionOffset(o));
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exactly-once without KIP-447: one transactional producer per task, its transactional id derived
 * from the task id, so that whoever opens the task next fences the previous holder. The next
 * transaction is begun as soon as the previous one ends: beginning the first one is what makes
 * kafkajs send InitProducerId with our transactional id, i.e. what fences a zombie.
 */
export class TransactionalCommitUnit implements CommitUnit {
  readonly transactional = true;
  readonly #producer: Producer;
  readonly #groupId: string;
  readonly #transactionalId: string;
  #transaction: Transaction | undefined;

  private constructor(producer: Producer, groupId: string, transactionalId: string) {
    this.#producer = producer;
    this.#groupId = groupId;
    this.#transactionalId = transactionalId;
  }

  static async open(
    kafka: Kafka,
    transactionalId: string,
    groupId: string,
  ): Promise<TransactionalCommitUnit> {
    const producer = kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: 60_000,
      allowAutoTopicCreation: false,
      createPartitioner: javaCompatiblePartitioner,
    });
    await producer.connect();
    const unit = new TransactionalCommitUnit(producer, groupId, transactionalId);
    try {
      unit.#transaction = await producer.transaction();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      if (isFencingError(error)) throw new TaskFencedError(transactionalId, error);
      throw error;
    }
    return unit;
  }

  async commit(records: OutgoingRecord[], offsets: TopicPartitionOffset[]): Promise<ProducedOffsets> {
    const txn = this.#transaction ?? (await this.#producer.transaction());
    this.#transaction = txn;
    try {
      const produced = await sendAll((b) => txn.sendBatch(b), records);
      if (offsets.length > 0) await this.#sendOffsets(txn, offsets);
      await txn.commit();
      this.#transaction = undefined;
      this.#transaction = await this.#producer.transaction();
      return produced;
    } catch (error) {
      if (txn.isActive()) await txn.abort().catch(() => undefined);
      this.#transaction = undefined;
      if (isFencingError(error)) throw new TaskFencedError(this.#transactionalId, error);
      throw new TaskCommitError(`commit of ${this.#transactionalId} failed: ${(error as Error).message}`, {
        retriable: true,
        cause: error,
      });
    }
  }

  async #sendOffsets(txn: Transaction, offsets: TopicPartitionOffset[]): Promise<void> {
    // The coordinator answers CONCURRENT_TRANSACTIONS while it still completes our previous
    // transaction; kafkajs does not retry it here, so we do, with a short backoff.
    for (let attempt = 0; ; attempt++) {
      try {
        await txn.sendOffsets({ consumerGroupId: this.#groupId, topics: offsetsByTopic(offsets) });
        return;
      } catch (error) {
        if (!isConcurrentTransactions(error) || attempt >= 20) throw error;
        await sleep(Math.min(10 * 2 ** attempt, 500));
      }
    }
  }

  async close(): Promise<void> {
    const txn = this.#transaction;
    this.#transaction = undefined;
    if (txn?.isActive()) await txn.abort().catch(() => undefined);
    await this.#producer.disconnect().catch(() => undefined);
  }
}

/** At-least-once: idempotent sends, then a plain offset commit through the group consumer. */
export class AtLeastOnceCommitUnit implements CommitUnit {
  readonly transactional = false;
  readonly #producer: Producer;
  readonly #consumer: () => Consumer | undefined;

  constructor(producer: Producer, consumer: () => Consumer | undefined) {
    this.#producer = producer;
    this.#consumer = consumer;
  }

  async commit(records: OutgoingRecord[], offsets: TopicPartitionOffset[]): Promise<ProducedOffsets> {
    try {
      const produced = await sendAll((b) => this.#producer.sendBatch({ ...b, acks: -1 }), records);
      const consumer = this.#consumer();
      if (offsets.length > 0) {
        if (!consumer) throw new Error('no group consumer to commit offsets through');
        await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, ...partitionOffset(o) })));
      }
      return produced;
    } catch (error) {
      throw new TaskCommitError(`at-least-once commit failed: ${(error as Error).message}`, {
        retriable: true,
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    await this.#producer.disconnect().catch(() => undefined);
  }
}
