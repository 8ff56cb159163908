/**
 * Where a task's stores read their changelogs back from: the port state/ restores through.
 * processor/ implements it over Kafka (the admin's offset ranges and the changelog reader); state/
 * knows nothing of Kafka clients.
 */
export interface ChangelogSource {
  /**
   * The first offset and the end offset (read_committed: the last stable offset) of each
   * partition, keyed by partitionKey(); a partition absent from the answer holds nothing.
   */
  offsetRange(partitions: ChangelogPartition[]): Promise<ReadonlyMap<string, OffsetRange>>;
  /** Reads the records of each range, in batches, in offset order within a partition. */
  read(
    ranges: ChangelogRange[],
    onRecords: (records: ChangelogSourceRecord[]) => Promise<void>,
    control: { heartbeat(): Promise<void> },
  ): Promise<void>;
}

/** One partition of a changelog topic. */
export interface ChangelogPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface OffsetRange {
  readonly start: number;
  readonly end: number;
}

/** Offsets [from, to) of one changelog partition. */
export interface ChangelogRange extends ChangelogPartition {
  readonly from: number;
  readonly to: number;
}

/** A changelog record as read: the store's key, its value or null (a tombstone). */
export interface ChangelogSourceRecord {
  readonly topic: string;
  readonly offset: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/**
 * `<topic>:<partition>`: how offsetRange() keys its answer and a commit's produced offsets name
 * their partitions, as the engine's Kafka port does (processor/kafka/client.ts, tpKey).
 */
export function partitionKey(partition: ChangelogPartition): string {
  return `${partition.topic}:${partition.partition}`;
}
