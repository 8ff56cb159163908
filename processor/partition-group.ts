import type { ConsumedBatch } from './kafka/client.ts';
import type { ConsumedRecord } from './records.ts';
import type { SerdeContext } from './serde.ts';
import type { SourceNode } from './topology.ts';

/**
 * The buffered input of a task with several input partitions (Kafka Streams' PartitionGroup):
 * transactions-3 and account-limits-3, say. The consumer hands over batches per partition, in
 * whatever order fetches complete; the group keeps one queue per partition, in offset order, and
 * hands out the buffered record with the smallest timestamp (event time where the source reads
 * one, else the Kafka timestamp) across the queues, so that a limit change stamped before a
 * transaction is applied before it, whichever arrived first. On equal timestamps the input
 * listed first wins (the task lists its tables first: a limit stamped with the transaction's
 * millisecond applies to it).
 *
 * When a queue is empty, its next record might still come before the others' heads. Whether to
 * wait for it (Kafka Streams' max.task.idle.ms, KIP-695):
 *
 *   - the partition is known to hold records not fetched yet (its end offset, from the task's
 *     start or the last batch's high watermark, is beyond what was fetched): wait for the fetch,
 *     at most max(maxTaskIdleMs, LAGGING_WAIT_MS);
 *   - it is known to be caught up: wait maxTaskIdleMs (0: not at all);
 *   - maxTaskIdleMs < 0: never wait; whatever is buffered is processed.
 *
 * After such a wait the group processes what it has ("enforced processing") until the empty
 * partition has records again. The single-input task never builds a group: its batches are
 * processed as they come, with no buffering.
 */

/**
 * The most a task waits for a partition known to lag. Kafka Streams waits for it indefinitely;
 * here the lag comes from high watermarks, which an open transaction on the topic holds above
 * what read_committed can fetch, so the wait is bounded: a fetch comes back well within it.
 */
export const LAGGING_WAIT_MS = 1_000;

/** The timestamp a record is ordered by, and its decoded value when finding it needed decoding. */
export interface OrderingTime {
  readonly time: number;
  /** Present when the value was decoded to read the time: processing reuses it. */
  readonly decoded?: { readonly value: unknown };
}

export interface PartitionGroupInput {
  readonly topic: string;
  /** The offset the consumer was sought to: records below it are re-fetches. */
  readonly position: number;
  /** The partition's end offset when the task started (read_committed: last stable offset). */
  readonly end: number;
}

export interface PartitionGroupOptions {
  readonly maxTaskIdleMs: number;
  /** A queue holding this many records takes no new batch (the consumer fetches it again later). */
  readonly maxBufferedRecordsPerPartition: number;
  /** The timestamp of a record, decoding its value when the source reads event time from it. */
  readonly orderingTime: (record: ConsumedRecord) => OrderingTime | Promise<OrderingTime>;
}

/** What the group hands out: a record with, when known, its decoded value. */
export interface NextRecord {
  readonly record: ConsumedRecord;
  readonly decoded: { readonly value: unknown } | undefined;
  /** True when taken without waiting longer for an empty partition. */
  readonly enforced: boolean;
}

class PartitionQueue {
  readonly topic: string;
  records: ConsumedRecord[] = [];
  head = 0;
  /** The next offset the consumer will hand over: records below it are re-fetches. */
  position: number;
  /** What the partition is known to hold: records below this offset exist. */
  knownEnd: number;
  headTime: OrderingTime | undefined;

  constructor(input: PartitionGroupInput) {
    this.topic = input.topic;
    this.position = input.position;
    this.knownEnd = input.end;
  }

  get size(): number {
    return this.records.length - this.head;
  }

  get lagging(): boolean {
    return this.position < this.knownEnd;
  }

  take(): ConsumedRecord {
    const record = this.records[this.head] as ConsumedRecord;
    this.records[this.head] = undefined as unknown as ConsumedRecord;
    this.head += 1;
    this.headTime = undefined;
    if (this.head === this.records.length) {
      this.records = [];
      this.head = 0;
    }
    return record;
  }
}

export class PartitionGroup {
  readonly #queues: PartitionQueue[];
  readonly #byTopic: Map<string, PartitionQueue>;
  readonly #options: PartitionGroupOptions;
  /** Since when the group has held records it would not process for an empty partition. */
  #blockedSince: number | undefined;

  constructor(inputs: readonly PartitionGroupInput[], options: PartitionGroupOptions) {
    this.#queues = inputs.map((input) => new PartitionQueue(input));
    this.#byTopic = new Map(this.#queues.map((q) => [q.topic, q]));
    this.#options = options;
  }

  /** Records buffered in all queues. */
  get buffered(): number {
    let total = 0;
    for (const q of this.#queues) total += q.size;
    return total;
  }

  /**
   * Buffers a batch's new records; returns the offset up to which the consumer may consider the
   * batch consumed (undefined: none of it, the queue is full and the batch will be fetched again).
   */
  add(batch: ConsumedBatch): number | undefined {
    const queue = this.#byTopic.get(batch.topic);
    if (queue === undefined)
      throw new Error(`no input partition ${batch.topic}-${batch.partition} in this group`);
    if (queue.size >= this.#options.maxBufferedRecordsPerPartition) return undefined;
    let last: number | undefined;
    for (const record of batch.records) {
      last = record.offset;
      if (record.offset < queue.position) continue; // fetched again
      queue.records.push(record);
      queue.position = record.offset + 1;
    }
    // Control records (transaction markers) after the last record count as fetched too.
    if (batch.lastOffset !== undefined && batch.lastOffset + 1 > queue.position) {
      queue.position = batch.lastOffset + 1;
    }
    if (batch.highWatermark !== undefined && batch.highWatermark > queue.knownEnd) {
      queue.knownEnd = batch.highWatermark;
    }
    return last;
  }

  /**
   * The next record to process at wall-clock time `now`, or undefined when there is none or the
   * group waits for an empty partition. Asynchronous only when a head's time needs an
   * asynchronous decode (Avro on first use).
   */
  next(now: number): NextRecord | undefined | Promise<NextRecord | undefined> {
    // The common case (a quiet table): one queue has records and no empty one is waited for.
    // Order does not matter then, so the head's time is not read (nor its value decoded here).
    let only: PartitionQueue | undefined;
    let nonEmpty = 0;
    let waiting = false;
    for (const q of this.#queues) {
      if (q.size > 0) {
        nonEmpty += 1;
        only = q;
      } else if (this.#waitFor(q) !== undefined) {
        waiting = true;
      }
    }
    if (nonEmpty === 0) {
      this.#blockedSince = undefined;
      return undefined;
    }
    if (nonEmpty === 1 && !waiting) {
      this.#blockedSince = undefined;
      const queue = only as PartitionQueue;
      const decoded = queue.headTime?.decoded;
      return { record: queue.take(), decoded, enforced: false };
    }
    for (const q of this.#queues) {
      if (q.size > 0 && q.headTime === undefined) {
        const time = this.#options.orderingTime(q.records[q.head] as ConsumedRecord);
        if (time instanceof Promise) return this.#nextAfter(q, time, now);
        q.headTime = time;
      }
    }
    return this.#choose(now);
  }

  async #nextAfter(
    queue: PartitionQueue,
    time: Promise<OrderingTime>,
    now: number,
  ): Promise<NextRecord | undefined> {
    queue.headTime = await time;
    return this.next(now);
  }

  #choose(now: number): NextRecord | undefined {
    let best: PartitionQueue | undefined;
    let bestTime = Infinity;
    // The longest any empty queue is to be waited for.
    let waitMs: number | undefined;
    for (const q of this.#queues) {
      if (q.size === 0) {
        const wait = this.#waitFor(q);
        if (wait !== undefined) waitMs = Math.max(waitMs ?? 0, wait);
        continue;
      }
      const time = (q.headTime as OrderingTime).time;
      if (time < bestTime) {
        best = q;
        bestTime = time;
      }
    }
    if (best === undefined) {
      this.#blockedSince = undefined;
      return undefined;
    }
    let enforced = false;
    if (waitMs !== undefined) {
      this.#blockedSince ??= now;
      if (now - this.#blockedSince < waitMs) return undefined;
      enforced = true;
    } else {
      this.#blockedSince = undefined;
    }
    const decoded = (best.headTime as OrderingTime).decoded;
    return { record: best.take(), decoded, enforced };
  }

  /** How long (ms, from when the group blocked) to wait for an empty queue; undefined: not at all. */
  #waitFor(queue: PartitionQueue): number | undefined {
    const idle = this.#options.maxTaskIdleMs;
    if (idle < 0) return undefined;
    if (queue.lagging) return Math.max(idle, LAGGING_WAIT_MS);
    return idle > 0 ? idle : undefined;
  }
}

/**
 * The time a task's input record is ordered by: what its source's timestampOf reads from the
 * value (decoded here, and handed on so that processing does not decode it again), else the
 * Kafka timestamp. A value that cannot be decoded, or a time that is not valid, orders by the
 * Kafka timestamp; processing then refuses the record as it would anyway.
 */
export function orderingTimeOf(
  input: { readonly source: SourceNode; readonly valueContext: SerdeContext } | undefined,
  record: ConsumedRecord,
): OrderingTime | Promise<OrderingTime> {
  const timestampOf = input?.source.timestampOf;
  if (input === undefined || timestampOf === undefined || record.value === null)
    return { time: record.timestamp };
  const read = (value: unknown): OrderingTime => {
    try {
      const time = timestampOf(value, record.timestamp);
      if (Number.isSafeInteger(time) && time >= 0) return { time, decoded: { value } };
    } catch {
      // Processing reports it.
    }
    return { time: record.timestamp, decoded: { value } };
  };
  try {
    const value = input.source.valueSerde.deserialize(record.value, input.valueContext);
    if (value instanceof Promise) return value.then(read, () => ({ time: record.timestamp }));
    return read(value);
  } catch {
    return { time: record.timestamp };
  }
}
