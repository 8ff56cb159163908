/**
 * The thin boundary between the engine and a Kafka client library. The engine speaks only these
 * types; processor/kafka/kafkajs/ implements them with kafkajs. Another client (one with KIP-447,
 * say) can implement them too: the commit unit (per task now, per instance with KIP-447) is the
 * adapter's choice. The records they carry are the engine's own (../records.ts).
 */
import type {
  AssignmentInfo,
  AssignorSettings,
  OperatorInfo,
  SubscriptionInfo,
} from '../assignment/assignment-info.ts';
import type { ConsumedRecord, OutgoingRecord, TopicPartition, TopicPartitionOffset } from '../records.ts';

/** A group's committed offset of one partition, with the metadata committed along with it. */
export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

/** The offset of the LAST record written to each topic-partition by one commit. */
export type ProducedOffsets = Map<string, number>;

/**
 * The records a task will produce at its next commit, in the form its commit unit sends them
 * (the kafkajs adapter encodes each into its partition's record batch as it is added). Added in
 * order; the last ones can be taken back (a failed record's outputs).
 */
export interface OutgoingRecords {
  /** Records added since the last clear(). */
  readonly length: number;
  add(record: OutgoingRecord): void;
  /** Keeps the first `length` records and drops the rest. */
  truncate(length: number): void;
  clear(): void;
}

/** OutgoingRecords kept as the records themselves: for commit units that are not Kafka's wire. */
export class OutgoingRecordList implements OutgoingRecords {
  readonly #records: OutgoingRecord[] = [];

  get length(): number {
    return this.#records.length;
  }

  add(record: OutgoingRecord): void {
    this.#records.push(record);
  }

  truncate(length: number): void {
    this.#records.length = Math.min(length, this.#records.length);
  }

  clear(): void {
    this.#records.length = 0;
  }

  /** The records, in the order added (the list's own array: read, do not keep). */
  get records(): readonly OutgoingRecord[] {
    return this.#records;
  }

  /** The records of `records`, which must be an OutgoingRecordList (a commit unit's own kind). */
  static recordsOf(records: OutgoingRecords): readonly OutgoingRecord[] {
    if (!(records instanceof OutgoingRecordList)) {
      throw new TypeError('this commit unit takes only the OutgoingRecordList its outgoing() made');
    }
    return records.records;
  }
}

/**
 * One unit of atomic commit: outgoing records together with the input offsets they consumed.
 * With exactly-once it is a Kafka transaction; opening it fences any older holder of its id.
 */
export interface CommitUnit {
  readonly transactional: boolean;
  /** A new, empty collection of the records commit() takes: only this unit's own kind. */
  outgoing(): OutgoingRecords;
  /**
   * Produces the records and commits the offsets, atomically if transactional. The caller empties
   * the records afterwards, whatever the outcome.
   */
  commit(records: OutgoingRecords, offsets: TopicPartitionOffset[]): Promise<ProducedOffsets>;
  close(): Promise<void>;
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  configs?: Record<string, string>;
}

/** A member of a consumer group and the partitions the group's leader assigned it. */
export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  /** Topic → partitions; empty while the group rebalances. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
  /** The user data of its subscription and of its assignment (processor/assignment/assignment-info.ts). */
  readonly subscriptionUserData: Buffer | null;
  readonly assignmentUserData: Buffer | null;
}

/** A consumer group as its coordinator describes it (state: Stable, PreparingRebalance, Empty, Dead, …). */
export interface GroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly members: readonly GroupMember[];
}

export interface AdminClient {
  partitionCounts(topics: string[]): Promise<Map<string, number | undefined>>;
  /** The group's state and members with their assignments. */
  describeGroup(groupId: string): Promise<GroupDescription>;
  /** Deletes an empty group and its committed offsets; false when there was no such group. */
  deleteGroup(groupId: string): Promise<boolean>;
  listTopics(): Promise<string[]>;
  /** Deletes the topics that exist among these; the names of those deleted. */
  deleteTopics(topics: string[]): Promise<string[]>;
  createTopics(specs: TopicSpec[]): Promise<void>;
  /** Committed offsets of the group for these partitions; absent when none was committed. */
  committedOffsets(groupId: string, tps: TopicPartition[]): Promise<Map<string, CommittedOffset>>;
  /** Log end (for read_committed readers: last stable) and start offsets. */
  offsetRange(tps: TopicPartition[]): Promise<Map<string, { start: number; end: number }>>;
  /** The named configs (e.g. `cleanup.policy`) of existing topics, as the broker reports them. */
  topicConfigs(topics: string[], names: string[]): Promise<Map<string, Record<string, string>>>;
  /** Sets these configs of an existing topic; its other topic-level configs stay as they are. */
  alterTopicConfigs(topic: string, configs: Record<string, string>): Promise<void>;
  /**
   * Per partition of the topic, the offset of its first record whose timestamp is at or after
   * `timestamp` (Kafka's ListOffsets by time), or its end offset when there is none.
   */
  offsetsForTime(topic: string, timestamp: number): Promise<Map<number, number>>;
  close(): Promise<void>;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  /** The offset the fetch asked for: after a seek, tells batches fetched before it from those after. */
  fetchedOffset: number;
  records: ConsumedRecord[];
  /**
   * The offset of the batch's last entry, transaction markers included (the records end earlier
   * when markers follow them); absent when the client does not say.
   */
  lastOffset?: number;
  /** The partition's high watermark at the fetch: what a task with several inputs knows of its lag. */
  highWatermark?: number;
}

export interface BatchControl {
  heartbeat(): Promise<void>;
  /** True once the batch should be abandoned (rebalance, seek, shutdown). */
  isStale(): boolean;
  /** Marks records up to this offset as consumed, so the next fetch starts after it. */
  resolve(offset: number): void;
}

export interface GroupConsumerOptions {
  groupId: string;
  topics: string[];
  /**
   * What this member tells the assignor at each join (processor/assignment/): its instance, the
   * tasks it runs and keeps warm, how far its standbys' state has come.
   */
  subscription: () => SubscriptionInfo | OperatorInfo;
  /** The topology's changelog topics: the leader compares members' state with their end. */
  changelogTopics: readonly string[];
  assignorSettings: AssignorSettings;
  onBatch: (batch: ConsumedBatch, control: BatchControl) => Promise<void>;
  /** The consumer failed; `willRestart` is false when nothing will restart it (the instance must stop). */
  onCrash?: (error: Error, willRestart: boolean) => void;
  /**
   * A new assignment: the active tasks' partitions and what the assignor says besides (standbys,
   * warm-ups, query endpoints). `memberId` changes when the coordinator had dropped this member.
   * `joinMs`: how long the join took, from this member's join request to its assignment.
   */
  onAssignment: (
    partitions: number[],
    memberId: string,
    info: AssignmentInfo,
    generation: number,
    joinMs?: number,
  ) => void;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxConcurrentPartitions: number;
  /** Bytes a fetch may return, in all and per partition. */
  fetchMaxBytes: number;
  fetchMaxBytesPerPartition: number;
}

export interface GroupConsumer {
  start(): Promise<void>;
  seek(tp: TopicPartitionOffset): void;
  /** Rejoin the group at the next heartbeat, with a fresh subscription: one rebalance. */
  requestRejoin(): void;
  stop(): Promise<void>;
}

export interface ChangelogReadOptions {
  /**
   * Read on past `to` up to the high watermark the partition's first fetch shows, waiting for the
   * transactions open there to end. `to` from ListOffsets (read_committed) is the last stable
   * offset: it stops at the first open transaction, and the markers of a transaction reach its
   * partitions one at a time, so just after a commit became visible on one partition (the input's
   * offsets, say) another can still hide it. Readers that check what saldo wrote want it whole;
   * a restore does not (it reads what its checkpoint's transaction committed). A range whose `to`
   * equals its `from` is not read at all.
   */
  throughOpenTransactions?: boolean;
}

/** Reads changelog partitions (read_committed) from given offsets up to given end offsets. */
export interface ChangelogReader {
  read(
    ranges: Array<TopicPartition & { from: number; to: number }>,
    onRecords: (records: ConsumedRecord[]) => Promise<void>,
    control: { heartbeat(): Promise<void> },
    options?: ChangelogReadOptions,
  ): Promise<void>;
}

export interface KafkaClientAdapter {
  admin(): Promise<AdminClient>;
  openCommitUnit(opts: {
    transactionalId: string;
    exactlyOnce: boolean;
    groupId: string;
  }): Promise<CommitUnit>;
  groupConsumer(opts: GroupConsumerOptions): GroupConsumer;
  changelogReader(): ChangelogReader;
  /** A follower of changelog partitions for standby tasks; `name` tells its consumer apart. */
  changelogFollower(name: string, onBatch: (batch: FollowedBatch) => Promise<void>): ChangelogFollower;
  /**
   * Joins the application's group for a moment as an operator's probe (no task), which makes the
   * group rebalance; returns the plan the leader handed out in that generation.
   */
  probeGroup(
    groupId: string,
    topics: readonly string[],
    info: OperatorInfo,
    assigner: ProbeAssignerSettings,
  ): Promise<AssignmentInfo>;
  close(): Promise<void>;
}

/** What a probe's assigner needs, should the probe be elected leader. */
export interface ProbeAssignerSettings {
  changelogTopics: readonly string[];
  settings: AssignorSettings;
}

/** What a changelog follower read of one partition: its records, and how far it has read. */
export interface FollowedBatch extends TopicPartition {
  records: ConsumedRecord[];
  /** Every offset below this one has been read (transaction markers included). */
  nextOffset: number;
}

/**
 * Tails changelog partitions (read_committed) from given offsets until stopped: what standby tasks
 * read. Batches reach onBatch in offset order per partition.
 */
export interface ChangelogFollower {
  /** Follows exactly these partitions from now on, each from its offset (replacing the last set). */
  follow(starts: ReadonlyArray<TopicPartition & { from: number }>): Promise<void>;
  stop(): Promise<void>;
}
