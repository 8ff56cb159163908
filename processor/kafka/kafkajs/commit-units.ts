import type { Consumer, Kafka, Producer, RecordMetadata, Transaction, Message } from 'kafkajs';
import { TaskCommitError, TaskFencedError } from '../../errors.ts';
import type { CommitUnit, OutgoingRecords, ProducedOffsets } from '../client.ts';
import type { TopicPartitionOffset } from '../../records.ts';
import { isConcurrentTransactions, isFencingError, isUnrecoverableCommitError } from './errors.ts';
import { UnknownTopicError, type PartitionCounts } from './partition-counts.ts';
import { javaCompatiblePartitioner } from './partitioner.ts';
import { retrying, type RetryPolicy } from './retry.ts';
import type { PartitionBatch } from '../wire/partition-batch.ts';
import { RecordBatches } from '../wire/record-batches.ts';

/**
 * What our kafkajs patch (scripts/patches) takes in place of a message: a whole record batch,
 * encoded already, for the partition named. kafkajs fills in the batch header (producer id,
 * epoch, sequence, CRC) and counts `count` records for the partition's sequence numbers.
 */
export interface EncodedBatchMessage {
  partition: number;
  // kafkajs refuses messages without a value before it looks further; the batch is the value.
  value: Buffer;
  saldoRecordBatch: {
    buffer: Buffer;
    length: number;
    count: number;
    firstTimestamp: number;
    maxTimestamp: number;
  };
}

export function encodedBatchMessage(batch: PartitionBatch): EncodedBatchMessage {
  return {
    partition: batch.partition,
    value: batch.buffer,
    saldoRecordBatch: {
      buffer: batch.buffer,
      length: batch.length,
      count: batch.count,
      firstTimestamp: batch.firstTimestamp,
      maxTimestamp: batch.maxTimestamp,
    },
  };
}

type SendBatch = (batch: {
  topicMessages: Array<{ topic: string; messages: Message[] }>;
}) => Promise<RecordMetadata[]>;

/**
 * Learns the partition counts the batches still need (and those gone stale), then sends every
 * batch: one produce request per round, a round holding at most one batch per partition.
 * Returns the offset of the last record written to each topic-partition.
 */
export async function sendRecordBatches(
  send: SendBatch,
  batches: RecordBatches,
  counts: PartitionCounts,
): Promise<ProducedOffsets> {
  const waiting = batches.topicsWithoutPartitionCount();
  const stale = counts.stale();
  if (waiting.length > 0 || stale.length > 0) {
    // Counts another unit has learnt are not fetched again. A stale count is only checked: if
    // the check fails, the commit goes on with the count known (as kafkajs does with its
    // metadata), and the next commit asks again; a failure that matters fails the send itself.
    // A topic that the check finds gone fails the commit at once.
    await Promise.all([
      counts.refresh(waiting.filter((topic) => !counts.known.has(topic))),
      counts.refresh(stale).catch((error: unknown) => {
        if (error instanceof UnknownTopicError) throw error;
      }),
    ]);
    for (const topic of [...waiting, ...stale]) {
      const count = counts.known.get(topic);
      if (count !== undefined && count !== batches.partitionCount(topic))
        batches.setPartitionCount(topic, count);
    }
  }
  try {
    return await sendRounds(send, batches);
  } catch (error) {
    // The topics may be gone or changed: the next commit checks their counts before sending.
    counts.invalidate(batches.topics());
    throw error;
  }
}

async function sendRounds(send: SendBatch, batches: RecordBatches): Promise<ProducedOffsets> {
  const produced: ProducedOffsets = new Map();
  for (const round of batches.rounds()) {
    const byTopic = new Map<string, PartitionBatch[]>();
    for (const batch of round) {
      let list = byTopic.get(batch.topic);
      if (list === undefined) byTopic.set(batch.topic, (list = []));
      list.push(batch);
    }
    const topicMessages = [...byTopic].map(([topic, list]) => ({
      topic,
      messages: list.map(encodedBatchMessage) as unknown as Message[],
    }));
    const metadata = await send({ topicMessages });
    for (const m of metadata) {
      const batch = byTopic.get(m.topicName)?.find((b) => b.partition === m.partition);
      if (batch === undefined || m.baseOffset === undefined) continue;
      produced.set(`${m.topicName}:${m.partition}`, Number(m.baseOffset) + batch.count - 1);
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

/**
 * The coordinator answers CONCURRENT_TRANSACTIONS to AddOffsetsToTxn while it still completes our
 * previous transaction; kafkajs does not retry it there, so we do, with a short backoff: up to 21
 * tries, 10 ms doubling to at most 500 ms apart.
 */
export const CONCURRENT_TRANSACTIONS_RETRY: RetryPolicy = {
  attempts: 21,
  retryOn: isConcurrentTransactions,
  pauseMs: (retry) => Math.min(10 * 2 ** (retry - 1), 500),
};

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
  readonly #counts: PartitionCounts;
  #transaction: Transaction | undefined;

  private constructor(producer: Producer, groupId: string, transactionalId: string, counts: PartitionCounts) {
    this.#producer = producer;
    this.#groupId = groupId;
    this.#transactionalId = transactionalId;
    this.#counts = counts;
  }

  static async open(
    kafka: Kafka,
    transactionalId: string,
    groupId: string,
    counts: PartitionCounts,
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
    const unit = new TransactionalCommitUnit(producer, groupId, transactionalId, counts);
    try {
      unit.#transaction = await producer.transaction();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      if (isFencingError(error)) throw new TaskFencedError(transactionalId, error);
      throw error;
    }
    return unit;
  }

  outgoing(): RecordBatches {
    return new RecordBatches(this.#counts.known);
  }

  async commit(records: OutgoingRecords, offsets: TopicPartitionOffset[]): Promise<ProducedOffsets> {
    const batches = RecordBatches.of(records);
    const txn = this.#transaction ?? (await this.#producer.transaction());
    this.#transaction = txn;
    try {
      const produced = await sendRecordBatches((b) => txn.sendBatch(b), batches, this.#counts);
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
        retriable: !isUnrecoverableCommitError(error),
        cause: error,
      });
    }
  }

  async #sendOffsets(txn: Transaction, offsets: TopicPartitionOffset[]): Promise<void> {
    await retrying(
      () => txn.sendOffsets({ consumerGroupId: this.#groupId, topics: offsetsByTopic(offsets) }),
      CONCURRENT_TRANSACTIONS_RETRY,
    );
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
  readonly #counts: PartitionCounts;

  constructor(producer: Producer, consumer: () => Consumer | undefined, counts: PartitionCounts) {
    this.#producer = producer;
    this.#consumer = consumer;
    this.#counts = counts;
  }

  outgoing(): RecordBatches {
    return new RecordBatches(this.#counts.known);
  }

  async commit(records: OutgoingRecords, offsets: TopicPartitionOffset[]): Promise<ProducedOffsets> {
    try {
      const batches = RecordBatches.of(records);
      const produced = await sendRecordBatches(
        (b) => this.#producer.sendBatch({ ...b, acks: -1 }),
        batches,
        this.#counts,
      );
      const consumer = this.#consumer();
      if (offsets.length > 0) {
        if (!consumer) throw new Error('no group consumer to commit offsets through');
        await consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, ...partitionOffset(o) })));
      }
      return produced;
    } catch (error) {
      throw new TaskCommitError(`at-least-once commit failed: ${(error as Error).message}`, {
        retriable: !isUnrecoverableCommitError(error),
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    await this.#producer.disconnect().catch(() => undefined);
  }
}
