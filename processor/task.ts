import type { KeyValueStore, StateManager, TtlKeyValueStore, WindowedStore } from '../state/index.ts';
import type { Clock } from './clock.ts';
import { decodeCommitMetadata, encodeCommitMetadata } from './commit-metadata.ts';
import type { StreamsConfig } from './config.ts';
import { deadLetterFor, processingFailureReason, type DeadLetterReason } from './dead-letter.ts';
import { RejectedRecordError, TaskFencedError, describeError } from './errors.ts';
import type { CommitUnit, CommittedOffset } from './kafka/client.ts';
import type { ConsumedRecord, TopicPartitionOffset } from './records.ts';
import { tpKey } from './records.ts';
import type { Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import { Mutex } from './mutex.ts';
import { PendingOutputs, type CommittedOutput } from './pending-outputs.ts';
import { TaskProcessorContext, type Punctuator, type TaskView } from './processor-context.ts';
import type { SerdeContext } from './serde.ts';
import { PartitionGroup, orderingTimeOf } from './partition-group.ts';
import { tableSourceNode, tableWriter } from './table-source.ts';
import { TaskLifecycle, type TaskState } from './task-state.ts';
import type { Processor, RecordOrigin, StreamRecord } from './processor-api.ts';
import type { SinkNode, SourceNode, Topology } from './topology.ts';

// What process() returns when a record was handled synchronously: no promise per record.
const DONE: Promise<void> = Promise.resolve();
// #processAsync's value argument when the value is still to be decoded.
const NOT_DECODED = Symbol('not decoded');

export type { CommittedOutput } from './pending-outputs.ts';

// The topology as this task runs it, resolved once in startRunning(): records flow through these
// without a map lookup per node and per record.
interface ProcessorRoute {
  readonly kind: 'processor';
  readonly name: string;
  readonly processor: Processor;
  readonly context: TaskProcessorContext;
  readonly children: Route[];
}

interface SinkRoute {
  readonly kind: 'sink';
  readonly name: string;
  readonly sink: SinkNode;
  readonly keyContext: SerdeContext;
  readonly valueContext: SerdeContext;
}

type Route = ProcessorRoute | SinkRoute;

interface InputRoute {
  readonly source: SourceNode;
  readonly children: Route[];
  /** tpKey() of the topic and this task's partition. */
  readonly offsetKey: string;
  readonly keyContext: SerdeContext;
  readonly valueContext: SerdeContext;
  /** For a table's topic: the store it fills, whose checkpoint follows this input's offset. */
  readonly tableStore?: string;
}

export interface CommitOutcome {
  committed: boolean;
  records: number;
  outputs: CommittedOutput[];
  /** The next changelog offset of each store the commit wrote. */
  checkpoints: ReadonlyMap<string, bigint>;
}

const NO_CHECKPOINTS: ReadonlyMap<string, bigint> = new Map();

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
 */
export class StreamTask implements TaskView {
  readonly taskId: string;
  readonly partition: number;
  readonly applicationId: string;
  readonly lock = new Mutex();
  readonly #deps: StreamTaskDeps;
  readonly #lifecycle: TaskLifecycle;
  readonly #log: Logger;
  #commitUnit: CommitUnit | undefined;
  /** Next offset to process per input topic-partition: records below it are duplicates. */
  readonly #nextOffsets = new Map<string, TopicPartitionOffset>();
  readonly #outgoing: PendingOutputs;
  #processedSinceCommit = 0;
  #dirtySince: number | undefined;
  #streamTime = -1;
  #currentTimestamp = 0;
  // The record being processed; its origin is built only if a processor asks for it.
  #current: ConsumedRecord | undefined;
  #origin: RecordOrigin | undefined;
  readonly #processors = new Map<string, ProcessorRoute>();
  readonly #inputs = new Map<string, InputRoute>();
  // Processed records not yet added to the records-processed counter: a prom-client call per record
  // costs more than the rest of the bookkeeping, so counts are added once per commit.
  #unreportedRecords = 0;
  readonly #recordsProcessed: { inc(value?: number): void };
  readonly #punctuators: Punctuator[] = [];
  readonly #keyValueStores = new Map<string, KeyValueStore<unknown, unknown>>();
  readonly #windowedStores = new Map<string, WindowedStore<unknown, unknown>>();
  readonly #ttlStores = new Map<string, TtlKeyValueStore<unknown, unknown>>();
  /**
   * While the task reads its tables before processing (table-bootstrap.ts): the committed offset
   * of each table partition. Bootstrap records do not move stream time, are applied even below
   * the committed offset (local state may be older), and below it make no dead letters again.
   */
  #bootstrapCommitted: Map<string, number> | undefined;
  #partitionGroup: PartitionGroup | undefined;

  constructor(deps: StreamTaskDeps) {
    this.#deps = deps;
    this.#outgoing = new PendingOutputs(deps.collectCommittedOutputs !== false);
    this.taskId = deps.taskId;
    this.partition = deps.partition;
    this.applicationId = deps.config.applicationId;
    this.#log = deps.logger.child({ task: deps.taskId });
    this.#lifecycle = new TaskLifecycle(deps.taskId, (from, to) => {
      this.#log.info({ from, to }, `task ${deps.taskId} ${from} -> ${to}`);
      deps.metrics.tasks.dec({ state: from });
      deps.metrics.tasks.inc({ state: to });
    });
    deps.metrics.tasks.inc({ state: 'created' });
    this.#recordsProcessed = deps.metrics.recordsProcessed.labels({ task: deps.taskId });
    // The task manager opens the state manager with the default cache size; the config decides.
    deps.stateManager.resizeCaches(deps.config.stateCacheMaxBytesPerTask);
  }

  get state(): TaskState {
    return this.#lifecycle.state;
  }
  get origin(): RecordOrigin | undefined {
    const record = this.#current;
    if (record !== undefined && this.#origin === undefined) {
      this.#origin = {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
      };
    }
    return this.#origin;
  }
  get streamTime(): number {
    return this.#streamTime;
  }
  get currentTimestamp(): number {
    return this.#currentTimestamp;
  }
  get stateManager(): StateManager {
    return this.#deps.stateManager;
  }
  now(): number {
    return this.#deps.clock.now();
  }

  // Processors ask for their stores on every record: build each typed handle once (handles stay
  // valid for the life of the state manager).
  keyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    let store = this.#keyValueStores.get(name);
    if (!store) {
      const def = this.#deps.topology.stores.get(name);
      if (!def || def.kind !== 'key-value') throw new Error(`no key-value store '${name}'`);
      store = this.#deps.stateManager.keyValueStore(name, def.keySerde, def.valueSerde);
      this.#keyValueStores.set(name, store);
    }
    return store as KeyValueStore<K, V>;
  }

  ttlKeyValueStore<K, V>(name: string): TtlKeyValueStore<K, V> {
    let store = this.#ttlStores.get(name);
    if (!store) {
      const def = this.#deps.topology.stores.get(name);
      if (!def || def.kind !== 'ttl-key-value') throw new Error(`no TTL key-value store '${name}'`);
      store = this.#deps.stateManager.ttlKeyValueStore(
        name,
        def.keySerde,
        def.valueSerde,
        () => this.#streamTime,
      );
      this.#ttlStores.set(name, store);
    }
    return store as TtlKeyValueStore<K, V>;
  }

  windowedStore<K, V>(name: string): WindowedStore<K, V> {
    let store = this.#windowedStores.get(name);
    if (!store) {
      const def = this.#deps.topology.stores.get(name);
      if (!def || def.kind !== 'windowed') throw new Error(`no windowed store '${name}'`);
      // The task's stream time reaches the store: after a restart it expires from the committed one.
      store = this.#deps.stateManager.windowedStore(
        name,
        def.keySerde,
        def.valueSerde,
        () => this.#streamTime,
      );
      this.#windowedStores.set(name, store);
    }
    return store as WindowedStore<K, V>;
  }

  addPunctuator(p: Punctuator): void {
    this.#punctuators.push(p);
  }

  /** Input topic-partitions of this task (those of stream sources, then of tables). */
  inputPartitions(): Array<{ topic: string; partition: number }> {
    return this.#deps.topology.sourceTopics.map((topic) => ({ topic, partition: this.partition }));
  }

  /** This task's partition of each table's topic, and the store it fills. */
  tablePartitions(): Array<{ table: string; store: string; topic: string; partition: number }> {
    return [...this.#deps.topology.tables.values()].map((t) => ({
      table: t.name,
      store: t.store,
      topic: t.topic,
      partition: this.partition,
    }));
  }

  /** Records processed since the last commit. */
  get uncommittedRecords(): number {
    return this.#processedSinceCommit;
  }

  /** Starts reading the tables before processing: records go through process() as bootstrap records. */
  beginTableBootstrap(): void {
    if (this.state !== 'running')
      throw new Error(`task ${this.taskId} bootstraps its tables only once running`);
    this.#bootstrapCommitted = new Map(
      this.tablePartitions().map((tp) => [tpKey(tp), this.nextOffset(tp.topic) ?? 0]),
    );
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
      else this.#nextOffsets.set(key, { topic: tp.topic, partition: this.partition, offset: end });
    }
  }

  beginRestoring(): void {
    this.#lifecycle.transitionTo('restoring');
  }

  /**
   * Becomes RUNNING with a commit unit and the committed input offsets (read after the commit unit
   * fenced older holders of the task, so they are final).
   */
  startRunning(commitUnit: CommitUnit, committed: ReadonlyMap<string, CommittedOffset>): void {
    this.#commitUnit = commitUnit;
    this.#outgoing.use(commitUnit.outgoing());
    this.#nextOffsets.clear();
    for (const tp of this.inputPartitions()) {
      const entry = committed.get(tpKey(tp));
      if (entry === undefined) continue;
      this.#nextOffsets.set(tpKey(tp), { ...tp, offset: entry.offset });
      // Stream time as committed with the offsets (the largest, if inputs disagree).
      const streamTime = decodeCommitMetadata(entry.metadata)?.streamTime;
      if (streamTime !== undefined && streamTime > this.#streamTime) this.#streamTime = streamTime;
    }
    this.#buildRoutes();
    this.#lifecycle.transitionTo('running');
  }

  /** Creates and initialises the processors, in topology order, and resolves every route. */
  #buildRoutes(): void {
    const topology = this.#deps.topology;
    const routes = new Map<string, Route>();
    for (const node of topology.nodes.values()) {
      if (node.kind === 'processor') {
        const context = new TaskProcessorContext(this, node.name, node.stores, node.children);
        const processor = node.create();
        const route: ProcessorRoute = {
          kind: 'processor',
          name: node.name,
          processor,
          context,
          children: [],
        };
        this.#processors.set(node.name, route);
        routes.set(node.name, route);
        processor.init?.(context);
      } else if (node.kind === 'sink') {
        routes.set(node.name, {
          kind: 'sink',
          name: node.name,
          sink: node,
          keyContext: { topic: node.topic, part: 'key' },
          valueContext: { topic: node.topic, part: 'value' },
        });
      }
    }
    const resolve = (names: readonly string[]): Route[] =>
      names.flatMap((name) => {
        const route = routes.get(name);
        return route === undefined ? [] : [route];
      });
    for (const route of this.#processors.values()) {
      route.children.push(...resolve(topology.node(route.name).children));
    }
    this.#inputs.clear();
    for (const topic of topology.sourceTopics) {
      const source = topology.sourceFor(topic);
      if (source === undefined) continue;
      this.#inputs.set(topic, {
        source,
        children: resolve(source.children),
        offsetKey: tpKey({ topic, partition: this.partition }),
        keyContext: { topic, part: 'key' },
        valueContext: { topic, part: 'value' },
      });
    }
    for (const table of topology.tables.values()) {
      const def = topology.stores.get(table.store);
      if (def === undefined) throw new Error(`table '${table.name}' has no store '${table.store}'`);
      const store = this.#deps.stateManager.keyValueStoreWriter(table.store, def.keySerde, def.valueSerde);
      const writer: ProcessorRoute = {
        kind: 'processor',
        name: table.name,
        processor: tableWriter(table, store),
        context: new TaskProcessorContext(this, table.name, [], []),
        children: [],
      };
      this.#inputs.set(table.topic, {
        source: tableSourceNode(table),
        children: [writer],
        offsetKey: tpKey({ topic: table.topic, partition: this.partition }),
        keyContext: { topic: table.topic, part: 'key' },
        valueContext: { topic: table.topic, part: 'value' },
        tableStore: table.store,
      });
    }
  }

  /** The buffer of a task with several input partitions, once opened; undefined for one input. */
  get partitionGroup(): PartitionGroup | undefined {
    return this.#partitionGroup;
  }

  /**
   * With several input partitions, opens the group that buffers them and hands out records in
   * timestamp order (processor/partition-group.ts), tables first on equal timestamps. `positions`
   * are the offsets the consumer was sought to, `ends` the partitions' end offsets at the start.
   */
  openPartitionGroup(positions: ReadonlyMap<string, number>, ends: ReadonlyMap<string, number>): void {
    const topics = this.#deps.topology.sourceTopics;
    if (topics.length < 2) return;
    const tables = new Set([...this.#deps.topology.tables.values()].map((t) => t.topic));
    const ordered = [...topics.filter((t) => tables.has(t)), ...topics.filter((t) => !tables.has(t))];
    this.#partitionGroup = new PartitionGroup(
      ordered.map((topic) => ({ topic, position: positions.get(topic) ?? 0, end: ends.get(topic) ?? 0 })),
      {
        maxTaskIdleMs: this.#deps.config.maxTaskIdleMs,
        maxBufferedRecordsPerPartition: this.#deps.config.maxBufferedRecordsPerTask,
        orderingTime: (record) => orderingTimeOf(this.#inputs.get(record.topic), record),
      },
    );
  }

  /** The offset the consumer must start this topic-partition from, if known. */
  nextOffset(topic: string): number | undefined {
    return this.#nextOffsets.get(tpKey({ topic, partition: this.partition }))?.offset;
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
   * process() for a caller's loop: undefined when the record was handled synchronously, else a
   * promise of the rest to await before the next record. Skipping the await of an already
   * resolved promise saves every record a suspension of the caller. Throws the engine's own
   * failures synchronously (a record's failures become dead letters).
   */
  processNow(record: ConsumedRecord, decoded?: { readonly value: unknown }): Promise<void> | undefined {
    try {
      return this.#process(record, decoded);
    } catch (error) {
      this.#current = undefined;
      this.#origin = undefined;
      throw error;
    }
  }

  /** `decoded`: the value, when the partition group decoded it already to order the record. */
  #process(record: ConsumedRecord, decoded?: { readonly value: unknown }): Promise<void> | undefined {
    const input = this.#inputs.get(record.topic);
    if (!input) throw new Error(`task ${this.taskId} has no source for topic ${record.topic}`);
    const inputKey = record.partition === this.partition ? input.offsetKey : tpKey(record);
    const next = this.#nextOffsets.get(inputKey);
    // Already processed (a consumer re-fetch); but a table's bootstrap re-applies what local state lacks.
    if (next !== undefined && record.offset < next.offset && this.#bootstrapCommitted === undefined) {
      return undefined;
    }

    const txn = this.#deps.stateManager.transaction();
    const outgoingMark = this.#outgoing.length;
    txn.beginRecord();
    this.#current = record;
    this.#origin = undefined;
    this.#currentTimestamp = record.timestamp;
    const source = input.source;
    let reason: DeadLetterReason = 'deserialization';
    try {
      // Await only what is asynchronous (Avro): each needless await costs every record a turn.
      const key = record.key === null ? null : source.keySerde.deserialize(record.key, input.keyContext);
      if (key instanceof Promise) {
        const valueDecoding = decoded === undefined ? NOT_DECODED : decoded.value;
        return this.#processAsync(record, input, inputKey, next, outgoingMark, key, valueDecoding);
      }
      const value =
        decoded !== undefined
          ? decoded.value
          : record.value === null
            ? null
            : source.valueSerde.deserialize(record.value, input.valueContext);
      if (value instanceof Promise) {
        return this.#processAsync(record, input, inputKey, next, outgoingMark, key, value);
      }
      reason = 'processing';
      const timestamp = this.#advanceTime(source, record, value);
      const dispatched = this.#dispatch(
        input.children,
        this.#streamRecord(record, key, value, timestamp),
        undefined,
        0,
      );
      if (dispatched !== undefined) {
        return this.#processAsync(record, input, inputKey, next, outgoingMark, key, value, dispatched);
      }
      txn.commitRecord();
    } catch (error) {
      this.#deadLetter(record, outgoingMark, reason, error);
    }
    this.#endRecord(record, input, inputKey, next);
    return this.#punctuators.length > 0 ? this.#punctuate('stream-time', this.#streamTime) : undefined;
  }

  /** The rest of #process, from a step that returned a promise (each argument given is that far). */
  async #processAsync(
    record: ConsumedRecord,
    input: InputRoute,
    inputKey: string,
    next: TopicPartitionOffset | undefined,
    outgoingMark: number,
    keyDecoding: unknown,
    valueDecoding: unknown = NOT_DECODED,
    dispatching?: Promise<void>,
  ): Promise<void> {
    let reason: DeadLetterReason = 'deserialization';
    try {
      let dispatched = dispatching;
      if (dispatched === undefined) {
        const key = keyDecoding instanceof Promise ? ((await keyDecoding) as unknown) : keyDecoding;
        let value = valueDecoding;
        if (value === NOT_DECODED) {
          value =
            record.value === null
              ? null
              : input.source.valueSerde.deserialize(record.value, input.valueContext);
        }
        if (value instanceof Promise) value = (await value) as unknown;
        reason = 'processing';
        const timestamp = this.#advanceTime(input.source, record, value);
        dispatched = this.#dispatch(
          input.children,
          this.#streamRecord(record, key, value, timestamp),
          undefined,
          0,
        );
      } else {
        reason = 'processing';
      }
      if (dispatched !== undefined) await dispatched;
      this.#deps.stateManager.transaction().commitRecord();
    } catch (error) {
      try {
        this.#deadLetter(record, outgoingMark, reason, error);
      } catch (failure) {
        this.#current = undefined;
        this.#origin = undefined;
        throw failure;
      }
    }
    this.#endRecord(record, input, inputKey, next);
    if (this.#punctuators.length > 0) await this.#punctuate('stream-time', this.#streamTime);
  }

  #streamRecord(
    record: ConsumedRecord,
    key: unknown,
    value: unknown,
    timestamp: number,
  ): StreamRecord<unknown, unknown> {
    return { key, value, timestamp, headers: record.headers };
  }

  /**
   * The record's event time (its Kafka timestamp, or what the source's timestampOf reads from
   * the value) becomes the current timestamp, and advances stream time. After decoding: a record
   * that cannot be decoded does not move time.
   */
  #advanceTime(source: SourceNode, record: ConsumedRecord, value: unknown): number {
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
    if (source.maxTimestampAheadMs !== undefined && timestamp > this.now() + source.maxTimestampAheadMs) {
      throw new RejectedRecordError(
        'timestamp-in-future',
        `timestamp ${new Date(timestamp).toISOString()} is more than ${source.maxTimestampAheadMs} ms ahead of the wall clock`,
      );
    }
    this.#currentTimestamp = timestamp;
    // A table's bootstrap is state, not stream: it does not move stream time (as a restore does not).
    if (timestamp > this.#streamTime && this.#bootstrapCommitted === undefined) this.#streamTime = timestamp;
    return timestamp;
  }

  /** Undoes what the record did (state writes, outputs, forwards) and queues its dead letter. */
  #deadLetter(record: ConsumedRecord, outgoingMark: number, stage: DeadLetterReason, cause: unknown): void {
    const reason = stage === 'processing' ? processingFailureReason(cause) : stage;
    this.#deps.stateManager.transaction().rollbackRecord();
    this.#outgoing.truncate(outgoingMark);
    for (const { context } of this.#processors.values()) context.clearForwarded();
    const committed = this.#bootstrapCommitted?.get(tpKey(record));
    if (committed !== undefined && record.offset < committed) {
      // Re-read below the committed offset: whoever committed past it already sent its dead letter.
      this.#log.debug(
        { topic: record.topic, offset: record.offset },
        'bad table record re-read; no new dead letter',
      );
      return;
    }
    // The dead letter names the serde's or processor's own error class.
    this.#outgoing.addDeadLetter(
      deadLetterFor(this.applicationId, this.#deps.config.appVersion, this.taskId, record, reason, cause),
    );
    this.#deps.metrics.deadLetters.inc(
      cause instanceof RejectedRecordError
        ? { reason, topic: record.topic, code: cause.code }
        : { reason, topic: record.topic },
    );
    this.#log.warn(
      {
        error: describeError(cause),
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        reason,
        ...(cause instanceof RejectedRecordError ? { code: cause.code } : {}),
      },
      'record sent to the dead-letter topic',
    );
  }

  #endRecord(
    record: ConsumedRecord,
    input: InputRoute,
    inputKey: string,
    next: TopicPartitionOffset | undefined,
  ): void {
    this.#current = undefined;
    this.#origin = undefined;
    // Advanced in place: commit() hands the commit unit copies. Never back: a table's bootstrap
    // may re-read records below the committed offset.
    if (next !== undefined) {
      if (record.offset >= next.offset) next.offset = record.offset + 1;
    } else {
      this.#nextOffsets.set(inputKey, {
        topic: record.topic,
        partition: record.partition,
        offset: record.offset + 1,
      });
    }
    // A table's store covers its topic up to the last record applied (the topic is its changelog).
    if (input.tableStore !== undefined) {
      this.#deps.stateManager.advanceInputCheckpoint(input.tableStore, record.offset + 1);
    }
    this.#processedSinceCommit++;
    this.#unreportedRecords++;
    this.#dirtySince ??= this.now();
  }

  // Dispatching is synchronous as long as processors and serdes are: each step returns a promise
  // only when it has to wait, and only then does the rest of the walk continue asynchronously.
  // An async function per step would cost every record several promises and microtask turns.

  /** Runs `record` through the routes (those named `only`, if given), depth first, in order of forwarding. */
  #dispatch(
    routes: readonly Route[],
    record: StreamRecord<unknown, unknown>,
    only: string | undefined,
    from: number,
  ): Promise<void> | undefined {
    for (let index = from; index < routes.length; index++) {
      const route = routes[index] as Route;
      if (only !== undefined && route.name !== only) continue;
      const waiting = route.kind === 'sink' ? this.#toSink(route, record) : this.#runProcessor(route, record);
      if (waiting !== undefined) return this.#dispatchAfter(waiting, routes, record, only, index + 1);
    }
    return undefined;
  }

  async #dispatchAfter(
    waiting: Promise<void>,
    routes: readonly Route[],
    record: StreamRecord<unknown, unknown>,
    only: string | undefined,
    from: number,
  ): Promise<void> {
    await waiting;
    await this.#dispatch(routes, record, only, from);
  }

  #runProcessor(route: ProcessorRoute, record: StreamRecord<unknown, unknown>): Promise<void> | undefined {
    const processed = route.processor.process(record, route.context);
    if (processed instanceof Promise) return processed.then(() => this.#drain(route, 0));
    return route.context.forwardedCount > 0 ? this.#drain(route, 0) : undefined;
  }

  /** Dispatches what the processor forwarded, in order, then empties its queue. */
  #drain(route: ProcessorRoute, from: number): Promise<void> | undefined {
    const context = route.context;
    // Records forwarded while draining (not possible in a DAG, but cheap to allow) are taken too.
    for (let index = from; index < context.forwardedCount; index++) {
      const record = context.forwardedRecords[index] as StreamRecord<unknown, unknown>;
      const waiting = this.#dispatch(route.children, record, context.forwardedChildren[index], 0);
      if (waiting !== undefined) return this.#drainAfter(waiting, route, index + 1);
    }
    context.clearForwarded();
    return undefined;
  }

  async #drainAfter(waiting: Promise<void>, route: ProcessorRoute, from: number): Promise<void> {
    await waiting;
    await this.#drain(route, from);
  }

  #toSink(route: SinkRoute, record: StreamRecord<unknown, unknown>): Promise<void> | undefined {
    const sink = route.sink;
    const key = record.key === null ? null : sink.keySerde.serialize(record.key, route.keyContext);
    // The value is serialized after the key is, as before: an asynchronous key serde is awaited first.
    if (key instanceof Promise) return key.then((bytes) => this.#toSinkWithKey(route, record, bytes));
    return this.#toSinkWithKey(route, record, key);
  }

  #toSinkWithKey(
    route: SinkRoute,
    record: StreamRecord<unknown, unknown>,
    key: Buffer | null,
  ): Promise<void> | undefined {
    const sink = route.sink;
    const value = record.value === null ? null : sink.valueSerde.serialize(record.value, route.valueContext);
    if (value instanceof Promise) return value.then((bytes) => this.#output(route, record, key, bytes));
    this.#output(route, record, key, value);
    return undefined;
  }

  #output(
    route: SinkRoute,
    record: StreamRecord<unknown, unknown>,
    key: Buffer | null,
    value: Buffer | null,
  ): void {
    this.#outgoing.addOutput(
      route.name,
      { topic: route.sink.topic, key, value, timestamp: record.timestamp, headers: record.headers },
      record.key,
      record.value,
    );
  }

  async #punctuate(type: 'stream-time' | 'wall-clock', time: number): Promise<void> {
    if (time < 0) return;
    for (const p of this.#punctuators) {
      if (p.cancelled || p.type !== type) continue;
      if (Number.isNaN(p.next)) p.next = time + p.intervalMs;
      if (time < p.next) continue;
      // Catch up at most once per call: a long pause does not fire a burst of punctuations.
      p.next = time + p.intervalMs - ((time - p.next) % p.intervalMs);
      const entry = this.#processors.get(p.processor);
      if (!entry) continue;
      const txn = this.#deps.stateManager.transaction();
      const mark = this.#outgoing.length;
      txn.beginRecord();
      try {
        this.#currentTimestamp = type === 'stream-time' ? time : this.#streamTime;
        await p.callback(time);
        await this.#drain(entry, 0);
        txn.commitRecord();
        this.#dirtySince ??= this.now();
      } catch (error) {
        txn.rollbackRecord();
        this.#outgoing.truncate(mark);
        entry.context.clearForwarded();
        this.#deps.metrics.punctuationErrors.inc({ processor: p.processor });
        this.#log.error(
          { error: describeError(error), processor: p.processor, type },
          'punctuation failed; its writes were rolled back',
        );
      }
    }
  }

  async punctuateWallClock(now: number): Promise<void> {
    if (this.state === 'running') await this.#punctuate('wall-clock', now);
  }

  needsCommit(now: number): boolean {
    if (this.#dirtySince === undefined) return false;
    if (this.#processedSinceCommit >= this.#deps.config.maxBufferedRecordsPerTask) return true;
    return now - this.#dirtySince >= this.#deps.config.commitIntervalMs;
  }

  get hasUncommittedWork(): boolean {
    return this.#dirtySince !== undefined;
  }

  /**
   * Commits outputs, changelog records, dead letters and input offsets atomically, then applies the
   * buffered state writes with the new checkpoints. Local state is therefore never ahead of Kafka.
   * On failure the buffered work is discarded and the caller must re-initialise the task.
   */
  async commit(): Promise<CommitOutcome> {
    if (this.#dirtySince === undefined) {
      return { committed: false, records: 0, outputs: [], checkpoints: NO_CHECKPOINTS };
    }
    const unit = this.#commitUnit;
    if (!unit) throw new Error(`task ${this.taskId} has no commit unit`);
    this.#reportProcessed();
    const started = performance.now();
    const state = this.#deps.stateManager;
    const records = this.#outgoing.records;
    for (const changelogRecord of state.prepareCommit()) records.add(changelogRecord);
    // Copies: process() advances the task's own offset objects in place. The stream time goes
    // with them, so that whoever runs the task next starts from it.
    const metadata = encodeCommitMetadata({ streamTime: this.#streamTime });
    const offsets = [...this.#nextOffsets.values()].map((tp) => ({ ...tp, metadata }));
    const outputs = this.#outgoing.committedOutputs();
    let produced: Map<string, number>;
    try {
      produced = await unit.commit(records, offsets);
    } catch (error) {
      this.#deps.metrics.commitFailures.inc({
        reason: error instanceof TaskFencedError ? 'fenced' : 'error',
      });
      this.discardUncommitted();
      throw error;
    }
    const checkpoints = await state.completeCommit(produced);
    const count = this.#processedSinceCommit;
    this.#outgoing.clear();
    this.#processedSinceCommit = 0;
    this.#dirtySince = undefined;
    this.#deps.metrics.commits.inc({ task: this.taskId });
    this.#deps.metrics.commitLatency.observe((performance.now() - started) / 1000);
    return { committed: true, records: count, outputs, checkpoints };
  }

  /** Drops everything since the last commit: outputs, dead letters and buffered state writes. */
  discardUncommitted(): void {
    this.#reportProcessed();
    this.#deps.stateManager.discardUncommitted();
    this.#outgoing.clear();
    this.#processedSinceCommit = 0;
    this.#dirtySince = undefined;
  }

  /** Adds the records processed since the last report to the records-processed counter. */
  #reportProcessed(): void {
    if (this.#unreportedRecords === 0) return;
    this.#recordsProcessed.inc(this.#unreportedRecords);
    this.#unreportedRecords = 0;
  }

  async suspend(): Promise<void> {
    if (this.state === 'running' || this.state === 'restoring') this.#lifecycle.transitionTo('suspended');
  }

  /** Closes the task: processors, commit unit and stores. Uncommitted work must be committed or discarded first. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.hasUncommittedWork) this.discardUncommitted();
    for (const { processor } of this.#processors.values()) {
      try {
        processor.close?.();
      } catch (error) {
        this.#log.warn({ error: describeError(error) }, 'processor close failed');
      }
    }
    this.#processors.clear();
    await this.#commitUnit?.close();
    this.#commitUnit = undefined;
    await this.#deps.stateManager.close();
    this.#lifecycle.transitionTo('closed');
    this.#deps.metrics.tasks.dec({ state: 'closed' });
  }
}
