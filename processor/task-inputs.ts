import type { Clock } from './clock.ts';
import { decodeCommitMetadata, encodeCommitMetadata } from './commit-metadata.ts';
import { RejectedRecordError } from './errors.ts';
import type { CommittedOffset } from './kafka/client.ts';
import type { ConsumedRecord, TopicPartition, TopicPartitionOffset } from './records.ts';
import { tpKey } from './records.ts';
import { PartitionGroup, type PartitionGroupOptions } from './partition-group.ts';
import type { SourceNode, Topology } from './topology.ts';

/** This task's partition of a table's topic, and the store it fills. */
export interface TablePartition extends TopicPartition {
  readonly table: string;
  readonly store: string;
}

/**
 * Where a task stands in its inputs: the next offset to process per input partition (records
 * below it are duplicates), and its stream time, the largest record timestamp processed. Both go
 * with each commit (the stream time in the offsets' metadata) and come back from the committed
 * offsets when the task starts, here or elsewhere.
 */
export class TaskInputs {
  readonly #topology: Topology;
  readonly #partition: number;
  readonly #clock: Clock;
  readonly #nextOffsets = new Map<string, TopicPartitionOffset>();
  #streamTime = -1;
  /**
   * While the task reads its tables before processing (table-bootstrap.ts): the committed offset
   * of each table partition. Bootstrap records do not move stream time, are applied even below
   * the committed offset (local state may be older), and below it make no dead letters again.
   */
  #bootstrapCommitted: Map<string, number> | undefined;
  #partitionGroup: PartitionGroup | undefined;

  constructor(topology: Topology, partition: number, clock: Clock) {
    this.#topology = topology;
    this.#partition = partition;
    this.#clock = clock;
  }

  /** The largest record timestamp processed (epoch ms); -1 before any record. */
  get streamTime(): number {
    return this.#streamTime;
  }

  /** True while the task reads its tables before processing. */
  get bootstrapping(): boolean {
    return this.#bootstrapCommitted !== undefined;
  }

  /** The buffer of a task with several input partitions, once opened; undefined for one input. */
  get partitionGroup(): PartitionGroup | undefined {
    return this.#partitionGroup;
  }

  /**
   * Where each input starts, once the tables are read: the next offset (committed, or where a
   * table's bootstrap stopped), else the partition's log start (`ranges`, by tpKey()). With
   * several inputs, also opens the group that buffers them and hands out records in timestamp
   * order from there, tables first on equal timestamps.
   */
  start(
    ranges: ReadonlyMap<string, { start: number; end: number }>,
    group: PartitionGroupOptions,
  ): TopicPartitionOffset[] {
    const starts = this.partitions().map((tp) => ({
      ...tp,
      offset: this.nextOffset(tp.topic) ?? ranges.get(tpKey(tp))?.start ?? 0,
    }));
    const topics = this.#topology.sourceTopics;
    if (topics.length < 2) return starts;
    const tables = new Set([...this.#topology.tables.values()].map((t) => t.topic));
    const ordered = [...topics.filter((t) => tables.has(t)), ...topics.filter((t) => !tables.has(t))];
    const positions = new Map(starts.map((tp) => [tp.topic, tp.offset]));
    // A table's bootstrap may have read past the end taken before it.
    const endOf = (topic: string) =>
      Math.max(positions.get(topic) ?? 0, ranges.get(tpKey({ topic, partition: this.#partition }))?.end ?? 0);
    this.#partitionGroup = new PartitionGroup(
      ordered.map((topic) => ({ topic, position: positions.get(topic) ?? 0, end: endOf(topic) })),
      group,
    );
    return starts;
  }

  /** Input topic-partitions of this task (those of stream sources, then of tables). */
  partitions(): TopicPartition[] {
    return this.#topology.sourceTopics.map((topic) => ({ topic, partition: this.#partition }));
  }

  /** This task's partition of each table's topic, and the store it fills. */
  tablePartitions(): TablePartition[] {
    return [...this.#topology.tables.values()].map((t) => ({
      table: t.name,
      store: t.store,
      topic: t.topic,
      partition: this.#partition,
    }));
  }

  /** Starts from the committed offsets, and the stream time committed with them. */
  startFrom(committed: ReadonlyMap<string, CommittedOffset>): void {
    this.#nextOffsets.clear();
    for (const tp of this.partitions()) {
      const entry = committed.get(tpKey(tp));
      if (entry === undefined) continue;
      this.#nextOffsets.set(tpKey(tp), { ...tp, offset: entry.offset });
      // Stream time as committed with the offsets (the largest, if inputs disagree).
      const streamTime = decodeCommitMetadata(entry.metadata)?.streamTime;
      if (streamTime !== undefined && streamTime > this.#streamTime) this.#streamTime = streamTime;
    }
  }

  /** The offset the consumer must start this topic-partition from, if known. */
  nextOffset(topic: string): number | undefined {
    return this.#nextOffsets.get(tpKey({ topic, partition: this.#partition }))?.offset;
  }

  /** The next offset of an input partition (by tpKey()), if known; advance() moves it on. */
  position(key: string): TopicPartitionOffset | undefined {
    return this.#nextOffsets.get(key);
  }

  /**
   * Whether the record is below the next offset: already processed (a consumer re-fetch). A
   * table's bootstrap re-applies such records: local state may lack them.
   */
  isDuplicate(record: ConsumedRecord, position: TopicPartitionOffset | undefined): boolean {
    return (
      position !== undefined && record.offset < position.offset && this.#bootstrapCommitted === undefined
    );
  }

  /**
   * The record's event time (its Kafka timestamp, or what the source's timestampOf reads from
   * the value), which advances stream time. After decoding: a record that cannot be decoded does
   * not move time. A refused time (not a whole number of ms, too far ahead of the wall clock)
   * throws RejectedRecordError.
   */
  eventTime(source: SourceNode, record: ConsumedRecord, value: unknown): number {
    let timestamp = record.timestamp;
    if (source.timestampOf !== undefined && value !== null) {
      timestamp = source.timestampOf(value, record.timestamp);
      if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
        throw new RejectedRecordError(
          'bad-timestamp',
          `source '${source.name}' read timestamp ${timestamp} from the record; expected whole, non-negative ms`,
        );
      }
    }
    if (
      source.maxTimestampAheadMs !== undefined &&
      timestamp > this.#clock.now() + source.maxTimestampAheadMs
    ) {
      throw new RejectedRecordError(
        'timestamp-in-future',
        `timestamp ${new Date(timestamp).toISOString()} is more than ${source.maxTimestampAheadMs} ms ahead of the wall clock`,
      );
    }
    // A table's bootstrap is state, not stream: it does not move stream time (as a restore does not).
    if (timestamp > this.#streamTime && this.#bootstrapCommitted === undefined) this.#streamTime = timestamp;
    return timestamp;
  }

  /** The record is processed: its partition goes on after it (`position`: what position() gave). */
  advance(record: ConsumedRecord, key: string, position: TopicPartitionOffset | undefined): void {
    // Advanced in place: committableOffsets() hands the commit unit copies. Never back: a table's
    // bootstrap may re-read records below the committed offset.
    if (position !== undefined) {
      if (record.offset >= position.offset) position.offset = record.offset + 1;
    } else {
      this.#nextOffsets.set(key, {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset + 1,
      });
    }
  }

  /** Copies of the next offsets, each with the stream time, so whoever runs the task next starts from it. */
  committableOffsets(): TopicPartitionOffset[] {
    const metadata = encodeCommitMetadata({ streamTime: this.#streamTime });
    return [...this.#nextOffsets.values()].map((tp) => ({ ...tp, metadata }));
  }

  /** Starts reading the tables before processing: records are bootstrap records until the end. */
  beginTableBootstrap(): void {
    this.#bootstrapCommitted = new Map(
      this.tablePartitions().map((tp) => [tpKey(tp), this.nextOffset(tp.topic) ?? 0]),
    );
  }

  /** A bad table record re-read below the committed offset: its dead letter was sent before. */
  isBootstrapReread(record: ConsumedRecord): boolean {
    const committed = this.#bootstrapCommitted?.get(tpKey(record));
    return committed !== undefined && record.offset < committed;
  }

  /**
   * Ends the bootstrap: each table partition goes on from `ends` (where the bootstrap stopped) or
   * from its committed offset, whichever is further.
   */
  endTableBootstrap(ends: ReadonlyMap<string, number>): void {
    this.#bootstrapCommitted = undefined;
    for (const tp of this.tablePartitions()) {
      const key = tpKey(tp);
      const end = ends.get(tp.topic);
      const next = this.#nextOffsets.get(key);
      if (end === undefined || (next !== undefined && next.offset >= end)) continue;
      if (next !== undefined) next.offset = end;
      else this.#nextOffsets.set(key, { topic: tp.topic, partition: this.#partition, offset: end });
    }
  }
}
