import { UnknownStoreError } from '../state/index.ts';
import type { KeyValueStore, StateManager, TtlKeyValueStore, WindowedStore } from '../state/index.ts';
import type { Clock } from './clock.ts';
import type { StreamsConfig } from './config.ts';
import { describeError } from './errors.ts';
import type { CommitUnit, CommittedOffset } from './kafka/client.ts';
import type { ConsumedRecord, TopicPartition, TopicPartitionOffset } from './records.ts';
import { taskLogger, type Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import { Mutex } from './mutex.ts';
import { orderingTimeOf, type PartitionGroup } from './partition-group.ts';
import { ProcessorGraph } from './processor-graph.ts';
import { PunctuationQueue, type Punctuator } from './punctuation-queue.ts';
import { RecordCollector } from './record-collector.ts';
import { RecordPipeline } from './record-pipeline.ts';
import { RecordScope } from './record-scope.ts';
import { StoreHandles } from './store-handles.ts';
import { TaskCommit, type CommitOutcome } from './task-commit.ts';
import { TaskInputs, type TablePartition } from './task-inputs.ts';
import { TaskLifecycle, type TaskState } from './task-state.ts';
import type { PunctuationType } from './processor-api.ts';
import type { Topology } from './topology.ts';

// What process() returns when a record was handled synchronously: no promise per record.
const DONE: Promise<void> = Promise.resolve();

export interface StreamTaskDeps {
  taskId: string;
  partition: number;
  topology: Topology;
  config: StreamsConfig;
  stateManager: StateManager;
  logger: Logger;
  metrics: EngineMetrics;
  clock: Clock;
  /**
   * Whether commit() returns the committed outputs (for post-commit hooks); default true. Without
   * hooks the task manager turns it off, sparing an object per output.
   */
  collectCommittedOutputs?: boolean;
}

/**
 * One task: the processors, stores and transaction of one input partition number. It processes
 * records in offset order, buffers everything it produces (outputs, changelog records, dead letters)
 * and hands them with its input offsets to a commit unit in one atomic commit.
 *
 * It runs its life cycle (task-state.ts) and wires its parts: the path of one record
 * (record-pipeline.ts) and of one commit (task-commit.ts); where it stands in its inputs
 * (task-inputs.ts); the processor graph (processor-graph.ts); what a record or punctuation did and
 * how to undo it (record-scope.ts); what it produced (record-collector.ts); its punctuations
 * (punctuation-queue.ts); its stores' handles (store-handles.ts); its state (state/).
 */
export class StreamTask {
  readonly taskId: string;
  readonly partition: number;
  readonly applicationId: string;
  readonly lock = new Mutex();
  readonly #deps: StreamTaskDeps;
  readonly #lifecycle: TaskLifecycle;
  readonly #log: Logger;
  readonly #inputs: TaskInputs;
  readonly #scope: RecordScope;
  readonly #handles: StoreHandles;
  readonly #punctuations: PunctuationQueue;
  readonly #graph: ProcessorGraph;
  readonly #commit: TaskCommit;
  readonly #pipeline: RecordPipeline;

  constructor(deps: StreamTaskDeps) {
    this.#deps = deps;
    this.taskId = deps.taskId;
    this.partition = deps.partition;
    this.applicationId = deps.config.applicationId;
    this.#log = taskLogger(deps.logger, deps.taskId, deps.partition);
    const inputs = new TaskInputs(deps.topology, deps.partition, deps.clock);
    const collector = new RecordCollector({
      applicationId: this.applicationId,
      appVersion: deps.config.appVersion,
      taskId: deps.taskId,
      collectCommittedOutputs: deps.collectCommittedOutputs !== false,
      metrics: deps.metrics,
      log: this.#log,
    });
    const scope = new RecordScope(deps.stateManager.transaction(), collector);
    const handles = new StoreHandles(deps.topology.stores, deps.stateManager, () => inputs.streamTime);
    const punctuations = new PunctuationQueue((p, type, time) => this.#runPunctuator(p, type, time));
    const parts = {
      applicationId: this.applicationId,
      taskId: deps.taskId,
      partition: deps.partition,
      scope,
      time: inputs,
      clock: deps.clock,
      handles,
      punctuations,
    };
    this.#inputs = inputs;
    this.#scope = scope;
    this.#handles = handles;
    this.#punctuations = punctuations;
    this.#graph = new ProcessorGraph(deps.topology, parts, collector, deps.metrics.processorStats);
    this.#commit = new TaskCommit({
      taskId: deps.taskId,
      partition: deps.partition,
      config: deps.config,
      clock: deps.clock,
      metrics: deps.metrics,
      state: deps.stateManager,
      collector,
      inputs,
    });
    this.#pipeline = new RecordPipeline({
      taskId: deps.taskId,
      partition: deps.partition,
      inputs,
      graph: this.#graph,
      scope,
      collector,
      punctuations,
      commit: this.#commit,
      state: deps.stateManager,
      log: this.#log,
    });
    this.#lifecycle = new TaskLifecycle(deps.taskId, (from, to) => {
      this.#log.info({ from, to }, `task ${deps.taskId} ${from} -> ${to}`);
      deps.metrics.tasks.dec({ state: from });
      deps.metrics.tasks.inc({ state: to });
    });
    deps.metrics.tasks.inc({ state: 'created' });
  }

  get state(): TaskState {
    return this.#lifecycle.state;
  }
  get streamTime(): number {
    return this.#inputs.streamTime;
  }
  get stateManager(): StateManager {
    return this.#deps.stateManager;
  }

  keyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    return this.#handles.keyValueStore<K, V>(name);
  }
  ttlKeyValueStore<K, V>(name: string): TtlKeyValueStore<K, V> {
    return this.#handles.ttlKeyValueStore<K, V>(name);
  }
  windowedStore<K, V>(name: string): WindowedStore<K, V> {
    return this.#handles.windowedStore<K, V>(name);
  }

  /**
   * The committed value of `key` (serialized by the store's key serde) in key-value store `store`:
   * LevelDB through the task's read cache, without the writes of the open transaction, which an
   * exactly-once commit may still abort. What interactive queries read, outside processing.
   */
  committedValue(store: string, key: Buffer): Buffer | undefined {
    const definition = this.#deps.topology.stores.get(store);
    if (definition?.kind !== 'key-value') {
      throw new UnknownStoreError(`no key-value store '${store}' in this task`, {
        storeName: store,
        taskId: this.taskId,
      });
    }
    return this.#deps.stateManager.committedBytes(store, key);
  }

  /** Input topic-partitions of this task (those of stream sources, then of tables). */
  inputPartitions(): TopicPartition[] {
    return this.#inputs.partitions();
  }

  /** This task's partition of each table's topic, and the store it fills. */
  tablePartitions(): TablePartition[] {
    return this.#inputs.tablePartitions();
  }

  /** The offset the consumer must start this topic-partition from, if known. */
  nextOffset(topic: string): number | undefined {
    return this.#inputs.nextOffset(topic);
  }

  /** Records processed since the last commit. */
  get uncommittedRecords(): number {
    return this.#commit.uncommittedRecords;
  }

  /** Starts reading the tables before processing: records go through process() as bootstrap records. */
  beginTableBootstrap(): void {
    if (this.state !== 'running')
      throw new Error(`task ${this.taskId} bootstraps its tables only once running`);
    this.#inputs.beginTableBootstrap();
  }

  /**
   * Ends the bootstrap: each table partition goes on from `ends` (where the bootstrap stopped) or
   * from its committed offset, whichever is further.
   */
  endTableBootstrap(ends: ReadonlyMap<string, number>): void {
    this.#inputs.endTableBootstrap(ends);
  }

  beginRestoring(): void {
    this.#lifecycle.transitionTo('restoring');
  }

  /**
   * Becomes RUNNING with a commit unit and the committed input offsets (read after the commit unit
   * fenced older holders of the task, so they are final): creates the processors.
   */
  startRunning(commitUnit: CommitUnit, committed: ReadonlyMap<string, CommittedOffset>): void {
    this.#commit.use(commitUnit);
    this.#inputs.startFrom(committed);
    this.#graph.build();
    this.#lifecycle.transitionTo('running');
  }

  /** The buffer of a task with several input partitions, once opened; undefined for one input. */
  get partitionGroup(): PartitionGroup | undefined {
    return this.#inputs.partitionGroup;
  }

  /**
   * Where each input starts, once the tables are read: the committed offset (a table's where its
   * bootstrap stopped), else the log start (`ranges`: the inputs' offset ranges, by tpKey()).
   * With several inputs, also opens the group that orders their records (partition-group.ts).
   */
  startInputs(ranges: ReadonlyMap<string, { start: number; end: number }>): TopicPartitionOffset[] {
    return this.#inputs.start(ranges, {
      maxTaskIdleMs: this.#deps.config.maxTaskIdleMs,
      maxBufferedRecordsPerPartition: this.#deps.config.maxBufferedRecordsPerTask,
      orderingTime: (record) => orderingTimeOf(this.#graph.input(record.topic), record),
    });
  }

  /**
   * Processes one record; a record that fails to decode or process becomes a dead letter. Runs
   * synchronously as long as the record's serdes and processors do (the promise it then returns
   * is already resolved), and continues asynchronously from the first step that returns a promise.
   */
  process(record: ConsumedRecord): Promise<void> {
    try {
      return this.processNow(record) ?? DONE;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * process() for a caller's loop (record-pipeline.ts): undefined when the record was handled
   * synchronously, else a promise of the rest to await before the next record. Skipping the
   * await of an already resolved promise saves every record a suspension of the caller. Throws
   * the engine's own failures synchronously (a record's failures become dead letters).
   */
  processNow(record: ConsumedRecord, decoded?: { readonly value: unknown }): Promise<void> | undefined {
    return this.#pipeline.processNow(record, decoded);
  }

  /** Runs one due punctuator and what its processor forwards; a failure rolls all of it back. */
  async #runPunctuator(p: Punctuator, type: PunctuationType, time: number): Promise<void> {
    const route = this.#graph.processor(p.processor);
    if (!route) return;
    const scope = this.#scope;
    scope.beginPunctuation(type === 'stream-time' ? time : this.#inputs.streamTime);
    try {
      await p.callback(time);
      await this.#graph.drain(route, 0);
      scope.commit();
      this.#commit.markDirty();
    } catch (error) {
      scope.rollback();
      this.#deps.metrics.punctuationErrors.inc({ processor: p.processor });
      this.#log.error(
        { error: describeError(error), processor: p.processor, type },
        'punctuation failed; its writes were rolled back',
      );
    }
  }

  async punctuateWallClock(now: number): Promise<void> {
    if (this.state === 'running') await this.#punctuations.punctuate('wall-clock', now);
  }

  needsCommit(now: number): boolean {
    return this.#commit.needsCommit(now);
  }

  get hasUncommittedWork(): boolean {
    return this.#commit.hasUncommittedWork;
  }

  /**
   * Commits outputs, changelog records, dead letters and input offsets atomically, then applies the
   * buffered state writes with the new checkpoints (task-commit.ts). On failure the buffered work is
   * discarded and the caller must re-initialise the task.
   */
  commit(): Promise<CommitOutcome> {
    return this.#commit.commit();
  }

  /** Drops everything since the last commit: outputs, dead letters and buffered state writes. */
  discardUncommitted(): void {
    this.#commit.discard();
  }

  async suspend(): Promise<void> {
    if (this.state === 'running' || this.state === 'restoring') this.#lifecycle.transitionTo('suspended');
  }

  /** Closes the task: processors, commit unit and stores. Uncommitted work must be committed or discarded first. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.hasUncommittedWork) this.discardUncommitted();
    this.#graph.close(this.#log);
    await this.#commit.close();
    await this.#deps.stateManager.close();
    this.#lifecycle.transitionTo('closed');
    this.#deps.metrics.tasks.dec({ state: 'closed' });
  }
}
