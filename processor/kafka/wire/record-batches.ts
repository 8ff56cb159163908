import type { OutgoingRecords } from '../client.ts';
import type { OutgoingRecord } from '../../records.ts';
import { partitionForKey } from './key-partitioning.ts';
import { MAX_BATCH_BYTES, PartitionBatch, maxRecordBytes } from './partition-batch.ts';

/**
 * A commit's records written straight into Kafka's record batch format, one batch per
 * topic-partition (partition-batch.ts), as the task forwards them. Keeping an object and two
 * Buffers per record until the commit cost the engine its largest share of garbage-collector
 * copying, and building the batches at commit cost it a sizing pass, a grouping pass and the
 * client's partitioner per record again (BENCHMARKS.md). Here each record's bytes are copied
 * once, into a buffer that is reused from commit to commit, and die young.
 *
 * Kafka's wire format, not a client library's: the kafkajs adapter sends these batches, and the
 * worker adapter hands them from the engine's thread to its Kafka client thread (toTransfer).
 *
 * Records are placed as Kafka's default partitioner places them: an explicit partition, else
 * murmur2 of the key (key-partitioning.ts), else round robin; that needs the topic's partition count. Until a commit
 * unit has learnt it (setPartitionCount), all of the topic's records wait as objects, in order,
 * and are encoded then.
 */

// The batches of one topic: for each partition the one being filled, plus full ones before it.
interface TopicBatches {
  readonly topic: string;
  partitionCount: number | undefined;
  readonly open: Array<PartitionBatch | undefined>;
  readonly full: PartitionBatch[];
  roundRobin: number;
}

/** One batch within TransferredBatches.buffer. */
export interface TransferredBatch {
  topic: string;
  partition: number;
  start: number;
  length: number;
  count: number;
  firstTimestamp: number;
  maxTimestamp: number;
}

export interface TransferredBatches {
  batches: TransferredBatch[];
  buffer: ArrayBuffer;
  /** Records still waiting for their topic's partition count. */
  deferred: OutgoingRecord[];
}

// Journal slot of a record whose topic's partition count was not known yet.
const DEFERRED = null;

/** See the module comment. Implements the engine's OutgoingRecords. */
export class RecordBatches implements OutgoingRecords {
  readonly #topics = new Map<string, TopicBatches>();
  // Which batch each record went to, in order (DEFERRED: the deferred list), for truncate().
  readonly #journal: Array<PartitionBatch | typeof DEFERRED | undefined> = [];
  #length = 0;
  #deferred: OutgoingRecord[] = [];
  // Emptied batches, kept with their buffers for the next commit.
  readonly #spare: PartitionBatch[] = [];
  readonly #knownCounts: ReadonlyMap<string, number>;
  readonly #now: () => number;

  /**
   * `knownCounts`: partition counts learnt before (PartitionCounts.known, shared by the adapter's
   * commit units). `now`: the timestamp of records without one (Kafka's producers use send time).
   */
  constructor(knownCounts: ReadonlyMap<string, number> = new Map(), now: () => number = Date.now) {
    this.#knownCounts = knownCounts;
    this.#now = now;
  }

  /** `records`, which must be RecordBatches (the kind a commit unit of this adapter made). */
  static of(records: OutgoingRecords): RecordBatches {
    if (!(records instanceof RecordBatches)) {
      throw new TypeError('this commit unit takes only the RecordBatches its outgoing() made');
    }
    return records;
  }

  get length(): number {
    return this.#length;
  }

  /** Records waiting for their topic's partition count. */
  get deferred(): readonly OutgoingRecord[] {
    return this.#deferred;
  }

  /** Topics whose partition count a commit unit must find before the deferred records can go. */
  topicsWithoutPartitionCount(): string[] {
    const topics = new Set<string>();
    for (const record of this.#deferred) topics.add(record.topic);
    return [...topics];
  }

  /** Every topic records were added to since the batches were made (emptied ones included). */
  topics(): string[] {
    return [...new Set([...this.#topics.keys(), ...this.topicsWithoutPartitionCount()])];
  }

  partitionCount(topic: string): number | undefined {
    return this.#topics.get(topic)?.partitionCount;
  }

  /**
   * Records the topic's partition count (a commit unit learns it from the cluster's metadata);
   * records of that topic waiting for it are encoded now, in the order they were added.
   */
  setPartitionCount(topic: string, count: number): void {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new RangeError(`topic ${topic}: partition count ${count} is not a positive whole number`);
    }
    this.#topicBatches(topic).partitionCount = count;
    if (!this.#deferred.some((r) => r.topic === topic)) return;
    const waiting = this.#deferred;
    this.#deferred = [];
    // Re-adding keeps the journal's order of records; those of other topics wait again.
    const journal = this.#journal;
    const firstDeferred = journal.indexOf(DEFERRED);
    const after = journal.slice(firstDeferred, this.#length);
    this.#length = firstDeferred;
    let next = 0;
    for (const slot of after) {
      if (slot === DEFERRED) {
        this.add(waiting[next++] as OutgoingRecord);
      } else {
        // A record encoded directly after the first deferred one: it stays where it is.
        journal[this.#length++] = slot;
      }
    }
  }

  add(record: OutgoingRecord): void {
    const topic = this.#topicBatches(record.topic);
    // Learnt since the topic was first seen? Taken only while nothing waits, to keep the order.
    if (topic.partitionCount === undefined && this.#deferred.length === 0) {
      topic.partitionCount = this.#knownCounts.get(record.topic);
    }
    const count = topic.partitionCount;
    if (count === undefined) {
      this.#deferred.push(record);
      this.#journal[this.#length++] = DEFERRED;
      return;
    }
    let partition = record.partition;
    if (partition === undefined) {
      partition =
        record.key === null
          ? (topic.roundRobin = (topic.roundRobin + 1) % count)
          : partitionForKey(record.key, count);
    }
    const batch = this.#batchFor(topic, partition, record);
    batch.append(record, record.timestamp ?? this.#now());
    this.#journal[this.#length++] = batch;
  }

  truncate(length: number): void {
    if (length < 0 || length > this.#length) {
      throw new RangeError(`cannot truncate ${this.#length} records to ${length}`);
    }
    while (this.#length > length) {
      const slot = this.#journal[--this.#length];
      this.#journal[this.#length] = undefined;
      if (slot === DEFERRED) this.#deferred.pop();
      else slot?.removeLast();
    }
  }

  clear(): void {
    for (const topic of this.#topics.values()) {
      for (const batch of topic.full) {
        batch.reset();
        this.#spare.push(batch);
      }
      topic.full.length = 0;
      for (const batch of topic.open) batch?.reset();
    }
    this.#journal.fill(undefined, 0, this.#length);
    this.#length = 0;
    this.#deferred = [];
  }

  /**
   * The batches to send, in rounds: each round holds at most one batch per topic-partition (a
   * produce request carries one batch per partition), and a partition's batches come in order.
   */
  rounds(): PartitionBatch[][] {
    const rounds: PartitionBatch[][] = [];
    for (const topic of this.#topics.values()) {
      const byPartition = new Map<number, number>();
      for (const batch of [...topic.full, ...topic.open]) {
        if (batch === undefined || batch.count === 0) continue;
        const round = byPartition.get(batch.partition) ?? 0;
        byPartition.set(batch.partition, round + 1);
        (rounds[round] ??= []).push(batch);
      }
    }
    return rounds;
  }

  /**
   * The batches as one transferable buffer and the deferred records, for a commit unit in another
   * thread (the Kafka client thread): fromTransfer() there gives RecordBatches to send.
   */
  toTransfer(): TransferredBatches {
    const inOrder = this.rounds().flat();
    const batches: TransferredBatch[] = [];
    let size = 0;
    for (const batch of inOrder) {
      batches.push({
        topic: batch.topic,
        partition: batch.partition,
        start: size,
        length: batch.length,
        count: batch.count,
        firstTimestamp: batch.firstTimestamp,
        maxTimestamp: batch.maxTimestamp,
      });
      size += batch.length;
    }
    const buffer = new ArrayBuffer(size);
    const bytes = Buffer.from(buffer);
    let at = 0;
    for (const batch of inOrder) at += batch.buffer.copy(bytes, at, 0, batch.length);
    return { batches, buffer, deferred: [...this.#deferred] };
  }

  /** RecordBatches holding what toTransfer() gave, to send (not to add to). */
  static fromTransfer(
    transferred: TransferredBatches,
    knownCounts?: ReadonlyMap<string, number>,
  ): RecordBatches {
    const batches = new RecordBatches(knownCounts);
    for (const t of transferred.batches) {
      const batch = new PartitionBatch(
        t.topic,
        t.partition,
        Buffer.from(transferred.buffer, t.start, t.length),
      );
      batch.length = t.length;
      batch.count = t.count;
      batch.firstTimestamp = t.firstTimestamp;
      batch.maxTimestamp = t.maxTimestamp;
      // In rounds order, so a partition's batches stay in order behind each other.
      batches.#topicBatches(t.topic).full.push(batch);
    }
    for (const record of transferred.deferred) batches.add(record);
    return batches;
  }

  #topicBatches(name: string): TopicBatches {
    let topic = this.#topics.get(name);
    if (topic === undefined) {
      const partitionCount = this.#knownCounts.get(name);
      topic = { topic: name, partitionCount, open: [], full: [], roundRobin: -1 };
      this.#topics.set(name, topic);
    }
    return topic;
  }

  #batchFor(topic: TopicBatches, partition: number, record: OutgoingRecord): PartitionBatch {
    let batch = topic.open[partition];
    if (batch === undefined) {
      batch = new PartitionBatch(topic.topic, partition);
      topic.open[partition] = batch;
    } else if (batch.count > 0 && batch.length + maxRecordBytes(record) > MAX_BATCH_BYTES) {
      topic.full.push(batch);
      batch = this.#spareBatch(topic.topic, partition);
      topic.open[partition] = batch;
    }
    return batch;
  }

  #spareBatch(topic: string, partition: number): PartitionBatch {
    // Only the buffer is worth keeping: a spare may have served another partition.
    return new PartitionBatch(topic, partition, this.#spare.pop()?.buffer);
  }
}
