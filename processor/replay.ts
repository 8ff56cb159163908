import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChangelogSource } from '../state/index.ts';
import { systemClock, type Clock } from './clock.ts';
import { DEFAULT_MAX_BUFFERED_RECORDS_PER_TASK } from './config.ts';
import { startInProcessTask } from './in-process-task.ts';
import { deadLetterTopicFor } from './internal-topics.ts';
import {
  OutgoingRecordList,
  type CommitUnit,
  type OutgoingRecords,
  type ProducedOffsets,
} from './kafka/client.ts';
import { EngineMetrics } from './metrics.ts';
import { orderingTimeOf } from './partition-group.ts';
import type { CommittedOutput } from './record-collector.ts';
import type { ConsumedRecord } from './records.ts';
import type { SerdeContext } from './serde.ts';
import type { StreamTask } from './task.ts';
import { tableSourceNode } from './table-source.ts';
import type { SourceNode, Topology } from './topology.ts';

export interface TopologyReplayOptions {
  /** Names the replay's tasks, stores and (unwritten) internal topics. */
  readonly applicationId: string;
  /** Where the replay's temporary state directory is made (default: the system's temp directory). */
  readonly stateDir?: string;
  /** Wall-clock time (default: the system's): what processors read as `ctx.now()`. */
  readonly clock?: Clock;
  /** A task commits after this many records (default: the engine's maxBufferedRecordsPerTask). */
  readonly commitEveryRecords?: number;
  /** Each commit's outputs, decoded as the processors forwarded them, in order per task. */
  readonly onOutputs: (outputs: readonly CommittedOutput[]) => Promise<void> | void;
}

/**
 * A commit unit that keeps nothing: the replay's stores are its state (nothing restores from a
 * changelog), and outputs reach the caller decoded. It numbers what each partition would have
 * received, which is what the stores' checkpoints need, and counts dead letters.
 */
class DiscardingCommitUnit implements CommitUnit {
  readonly transactional = true;
  readonly #ends = new Map<string, number>();
  readonly #deadLetterTopic: string;
  deadLetters = 0;

  constructor(applicationId: string) {
    this.#deadLetterTopic = deadLetterTopicFor(applicationId);
  }

  outgoing(): OutgoingRecordList {
    return new OutgoingRecordList();
  }

  async commit(records: OutgoingRecords): Promise<ProducedOffsets> {
    const produced: ProducedOffsets = new Map();
    for (const record of OutgoingRecordList.recordsOf(records)) {
      if (record.topic === this.#deadLetterTopic) this.deadLetters += 1;
      const key = `${record.topic}:${record.partition ?? 0}`;
      const offset = this.#ends.get(key) ?? 0;
      this.#ends.set(key, offset + 1);
      produced.set(key, offset);
    }
    return produced;
  }

  async close(): Promise<void> {}
}

/** Fresh stores have nothing to restore. */
const NO_CHANGELOGS: ChangelogSource = {
  offsetRange: async () => new Map(),
  read: async () => undefined,
};

/** One input partition's task, the table records waiting for their turn, and its commit cadence. */
interface PartitionTask {
  readonly task: StreamTask;
  readonly unit: DiscardingCommitUnit;
  /** Table records not applied yet, in offset order per table, each with its ordering time. */
  readonly tables: Array<{ record: ConsumedRecord; time: number }>;
  /** Once a stream record was processed, queued table records could no longer take their turn. */
  streaming: boolean;
  uncommitted: number;
}

/**
 * Runs a topology in this process over recorded input, as an instance's tasks would have run it,
 * without a broker, consumer group or transactions: a backtest of a changed topology over history.
 * Each input partition gets a task when its first record comes, through the same task code as in
 * an instance, with real LevelDB stores in a temporary directory (removed by close()), starting
 * empty. A task commits every `commitEveryRecords` records; its changelog records and dead letters
 * are not kept (the stores are the state; dead letters are counted) and its outputs go to
 * `onOutputs`.
 *
 * The order is the caller's, as a running task's partition group would give it
 * (partition-group.ts): a stream's records in offset order per partition; a table partition is
 * queued whole first (`queueTable`, in offset order), and each of its records is applied just
 * before the first stream record of its partition that is not older than it, tables first on equal
 * times. Records are ordered by what the sources read as event time, else the Kafka timestamp
 * (`orderingTime`).
 */
export class TopologyReplay {
  readonly #topology: Topology;
  readonly #options: TopologyReplayOptions;
  readonly #stateDir: string;
  readonly #clock: Clock;
  readonly #metrics = new EngineMetrics();
  readonly #commitEvery: number;
  readonly #tasks = new Map<number, PartitionTask>();
  readonly #inputs = new Map<string, { source: SourceNode; valueContext: SerdeContext }>();
  #closed = false;

  private constructor(topology: Topology, options: TopologyReplayOptions, stateDir: string) {
    this.#topology = topology;
    this.#options = options;
    this.#stateDir = stateDir;
    this.#clock = options.clock ?? systemClock;
    this.#commitEvery = options.commitEveryRecords ?? DEFAULT_MAX_BUFFERED_RECORDS_PER_TASK;
  }

  static async open(topology: Topology, options: TopologyReplayOptions): Promise<TopologyReplay> {
    const base = options.stateDir ?? tmpdir();
    await mkdir(base, { recursive: true });
    const stateDir = await mkdtemp(join(base, 'saldo-topology-replay-'));
    return new TopologyReplay(topology, options, stateDir);
  }

  /** Records that became dead letters (undecodable, refused, or failed in a processor). */
  get deadLetters(): number {
    let total = 0;
    for (const { unit } of this.#tasks.values()) total += unit.deadLetters;
    return total;
  }

  /**
   * The time a record of an input topic is ordered by: what its source reads as event time, else
   * (no reader, or a value it cannot read) the Kafka timestamp.
   */
  async orderingTime(record: ConsumedRecord): Promise<number> {
    return (await orderingTimeOf(this.#input(record.topic), record)).time;
  }

  /** Queues a table's records of one partition, in offset order, before any stream record of it. */
  async queueTable(records: readonly ConsumedRecord[]): Promise<void> {
    for (const record of records) {
      if (this.#topology.tableFor(record.topic) === undefined)
        throw new Error(`topic '${record.topic}' is not one of the topology's tables`);
      const time = await this.orderingTime(record);
      const partition = await this.#taskOf(record.partition);
      if (partition.streaming)
        throw new Error(`partition ${record.partition} of the table is queued after its stream records`);
      partition.tables.push({ record, time });
    }
  }

  /** Processes a stream record, after the queued table records of its partition that are not younger. */
  async process(record: ConsumedRecord): Promise<void> {
    if (this.#topology.sourceFor(record.topic) === undefined)
      throw new Error(`topic '${record.topic}' is not one of the topology's stream sources`);
    const time = await this.orderingTime(record);
    const partition = await this.#taskOf(record.partition);
    let applied = 0;
    for (const queued of partition.tables) {
      if (queued.time > time) break;
      await this.#processIn(partition, queued.record);
      applied += 1;
    }
    if (applied > 0) partition.tables.splice(0, applied);
    partition.streaming = true;
    await this.#processIn(partition, record);
  }

  /** Commits every task's work so far. */
  async flush(): Promise<void> {
    for (const partition of this.#tasks.values()) await this.#commit(partition);
  }

  /** Closes the tasks, without committing what is pending, and removes the state directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      for (const { task } of this.#tasks.values()) await task.close();
    } finally {
      await rm(this.#stateDir, { recursive: true, force: true });
    }
  }

  async #processIn(partition: PartitionTask, record: ConsumedRecord): Promise<void> {
    await partition.task.process(record);
    partition.uncommitted += 1;
    if (partition.uncommitted >= this.#commitEvery) await this.#commit(partition);
  }

  async #commit(partition: PartitionTask): Promise<void> {
    partition.uncommitted = 0;
    const outcome = await partition.task.commit();
    if (outcome.outputs.length > 0) await this.#options.onOutputs(outcome.outputs);
  }

  async #taskOf(number: number): Promise<PartitionTask> {
    if (this.#closed) throw new Error('the replay is closed');
    const known = this.#tasks.get(number);
    if (known !== undefined) return known;
    const unit = new DiscardingCommitUnit(this.#options.applicationId);
    const task = await startInProcessTask(this.#topology, {
      applicationId: this.#options.applicationId,
      stateDir: this.#stateDir,
      partition: number,
      clock: this.#clock,
      metrics: this.#metrics,
      commitUnit: unit,
      changelogs: NO_CHANGELOGS,
    });
    const partition: PartitionTask = { task, unit, tables: [], streaming: false, uncommitted: 0 };
    this.#tasks.set(number, partition);
    return partition;
  }

  #input(topic: string): { source: SourceNode; valueContext: SerdeContext } {
    let input = this.#inputs.get(topic);
    if (input === undefined) {
      const table = this.#topology.tableFor(topic);
      const source =
        this.#topology.sourceFor(topic) ?? (table === undefined ? undefined : tableSourceNode(table));
      if (source === undefined) throw new Error(`the topology reads no topic '${topic}'`);
      input = { source, valueContext: { topic, part: 'value' } };
      this.#inputs.set(topic, input);
    }
    return input;
  }
}
