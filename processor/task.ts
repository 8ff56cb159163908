import type { KeyValueStore, StateManager, WindowedStore } from '../state/index.ts';
import { changelogTopicFor } from '../state/index.ts';
import type { Clock } from './clock.ts';
import type { StreamsConfig } from './config.ts';
import { deadLetterFor, type DeadLetterReason } from './dead-letter.ts';
import { DeserializationError, TaskFencedError, describeError } from './errors.ts';
import type { CommitUnit, ConsumedRecord, OutgoingRecord, TopicPartitionOffset } from './kafka/client.ts';
import { tpKey } from './kafka/client.ts';
import type { Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import { Mutex } from './mutex.ts';
import { TaskProcessorContext, type Punctuator, type TaskView } from './processor-context.ts';
import { TaskLifecycle, type TaskState } from './task-state.ts';
import type { Processor, RecordOrigin, SinkNode, StreamRecord, Topology } from './topology.ts';

/** An output that was committed, handed to post-commit hooks (the Redis cache, say) in order. */
export interface CommittedOutput {
  sink: string;
  topic: string;
  key: unknown;
  value: unknown;
  timestamp: number;
}

interface Outgoing {
  record: OutgoingRecord;
  committed?: CommittedOutput;
}

export interface CommitOutcome {
  committed: boolean;
  records: number;
  outputs: CommittedOutput[];
}

export interface StreamTaskDeps {
  taskId: string;
  partition: number;
  topology: Topology;
  config: StreamsConfig;
  stateManager: StateManager;
  logger: Logger;
  metrics: EngineMetrics;
  clock: Clock;
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
  #outgoing: Outgoing[] = [];
  #processedSinceCommit = 0;
  #dirtySince: number | undefined;
  #streamTime = -1;
  #currentTimestamp = 0;
  #origin: RecordOrigin | undefined;
  readonly #processors = new Map<string, { processor: Processor; context: TaskProcessorContext }>();
  readonly #punctuators: Punctuator[] = [];
  readonly #keyValueStores = new Map<string, KeyValueStore<unknown, unknown>>();
  readonly #windowedStores = new Map<string, WindowedStore<unknown, unknown>>();

  constructor(deps: StreamTaskDeps) {
    this.#deps = deps;
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
    // The task manager opens the state manager with the default cache size; the config decides.
    deps.stateManager.resizeCaches(deps.config.stateCacheMaxBytesPerTask);
  }

  get state(): TaskState {
    return this.#lifecycle.state;
  }
  get origin(): RecordOrigin | undefined {
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

  windowedStore<K, V>(name: string): WindowedStore<K, V> {
    let store = this.#windowedStores.get(name);
    if (!store) {
      const def = this.#deps.topology.stores.get(name);
      if (!def || def.kind !== 'windowed') throw new Error(`no windowed store '${name}'`);
      store = this.#deps.stateManager.windowedStore(name, def.keySerde, def.valueSerde);
      this.#windowedStores.set(name, store);
    }
    return store as WindowedStore<K, V>;
  }

  addPunctuator(p: Punctuator): void {
    this.#punctuators.push(p);
  }

  /** Input topic-partitions of this task. */
  inputPartitions(): Array<{ topic: string; partition: number }> {
    return this.#deps.topology.sourceTopics.map((topic) => ({ topic, partition: this.partition }));
  }

  changelogPartitions(): Array<{ store: string; topic: string; partition: number }> {
    return [...this.#deps.topology.stores.keys()].map((store) => ({
      store,
      topic: changelogTopicFor(this.applicationId, store),
      partition: this.partition,
    }));
  }

  beginRestoring(): void {
    this.#lifecycle.transitionTo('restoring');
  }

  /**
   * Becomes RUNNING with a commit unit and the committed input offsets (read after the commit unit
   * fenced older holders of the task, so they are final).
   */
  startRunning(commitUnit: CommitUnit, committed: Map<string, number>): void {
    this.#commitUnit = commitUnit;
    this.#nextOffsets.clear();
    for (const tp of this.inputPartitions()) {
      const offset = committed.get(tpKey(tp));
      if (offset !== undefined) this.#nextOffsets.set(tpKey(tp), { ...tp, offset });
    }
    for (const node of this.#deps.topology.nodes.values()) {
      if (node.kind !== 'processor') continue;
      const context = new TaskProcessorContext(this, node.name, node.stores, node.children);
      const processor = node.create();
      this.#processors.set(node.name, { processor, context });
      processor.init?.(context);
    }
    this.#lifecycle.transitionTo('running');
  }

  /** The offset the consumer must start this topic-partition from, if known. */
  nextOffset(topic: string): number | undefined {
    return this.#nextOffsets.get(tpKey({ topic, partition: this.partition }))?.offset;
  }

  /** Processes one record; a record that fails to decode or process becomes a dead letter. */
  async process(record: ConsumedRecord): Promise<void> {
    const inputKey = tpKey(record);
    const next = this.#nextOffsets.get(inputKey);
    if (next !== undefined && record.offset < next.offset) return; // already processed (consumer re-fetch)
    const source = this.#deps.topology.sourceFor(record.topic);
    if (!source) throw new Error(`task ${this.taskId} has no source for topic ${record.topic}`);

    const txn = this.#deps.stateManager.transaction();
    const outgoingMark = this.#outgoing.length;
    txn.beginRecord();
    this.#origin = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
    };
    this.#currentTimestamp = record.timestamp;
    if (record.timestamp > this.#streamTime) this.#streamTime = record.timestamp;
    let reason: DeadLetterReason = 'deserialization';
    try {
      let k: unknown = null;
      let v: unknown = null;
      try {
        // Await only what is asynchronous (Avro): each needless await costs every record a turn.
        if (record.key !== null) {
          const decoded = source.keySerde.deserialize(record.key, { topic: record.topic, part: 'key' });
          k = decoded instanceof Promise ? await decoded : decoded;
        }
        if (record.value !== null) {
          const decoded = source.valueSerde.deserialize(record.value, { topic: record.topic, part: 'value' });
          v = decoded instanceof Promise ? await decoded : decoded;
        }
      } catch (error) {
        throw new DeserializationError(`cannot deserialize record: ${describeError(error).message}`, {
          context: {
            taskId: this.taskId,
            topic: record.topic,
            partition: record.partition,
            offset: record.offset,
          },
          cause: error,
        });
      }
      reason = 'processing';
      await this.#dispatch(
        source.children,
        { key: k, value: v, timestamp: record.timestamp, headers: record.headers },
        undefined,
      );
      txn.commitRecord();
    } catch (error) {
      txn.rollbackRecord();
      this.#outgoing.length = outgoingMark;
      for (const { context } of this.#processors.values()) context.pending.length = 0;
      // The dead letter names the processor's own error class, not the engine's wrapper.
      const cause = error instanceof DeserializationError ? error.cause : error;
      this.#outgoing.push({
        record: deadLetterFor(
          this.applicationId,
          this.#deps.config.appVersion,
          this.taskId,
          record,
          reason,
          cause,
        ),
      });
      this.#deps.metrics.deadLetters.inc({ reason, topic: record.topic });
      this.#log.warn(
        {
          error: describeError(cause),
          topic: record.topic,
          partition: record.partition,
          offset: record.offset,
          reason,
        },
        'record sent to the dead-letter topic',
      );
    } finally {
      this.#origin = undefined;
    }
    this.#nextOffsets.set(inputKey, {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset + 1,
    });
    this.#processedSinceCommit++;
    this.#dirtySince ??= this.now();
    this.#deps.metrics.recordsProcessed.inc({ task: this.taskId });
    if (this.#punctuators.length > 0) await this.#punctuate('stream-time', this.#streamTime);
  }

  /** Runs `record` through the named children, depth first, in order of forwarding. */
  async #dispatch(
    children: readonly string[],
    record: StreamRecord<unknown, unknown>,
    only: string | undefined,
  ): Promise<void> {
    for (const name of children) {
      if (only !== undefined && name !== only) continue;
      const node = this.#deps.topology.node(name);
      if (node.kind === 'sink') {
        await this.#toSink(node, record);
      } else if (node.kind === 'processor') {
        const entry = this.#processors.get(name);
        if (!entry) throw new Error(`processor ${name} not initialised`);
        const processed = entry.processor.process(record, entry.context);
        if (processed instanceof Promise) await processed;
        if (entry.context.pending.length > 0) await this.#drain(node.children, entry.context);
      }
    }
  }

  async #drain(children: readonly string[], context: TaskProcessorContext): Promise<void> {
    while (context.pending.length > 0) {
      const batch = context.pending.splice(0, context.pending.length);
      for (const f of batch) await this.#dispatch(children, f.record, f.child);
    }
  }

  async #toSink(sink: SinkNode, record: StreamRecord<unknown, unknown>): Promise<void> {
    const keyBytes =
      record.key === null ? null : sink.keySerde.serialize(record.key, { topic: sink.topic, part: 'key' });
    const key = keyBytes instanceof Promise ? await keyBytes : keyBytes;
    const valueBytes =
      record.value === null
        ? null
        : sink.valueSerde.serialize(record.value, { topic: sink.topic, part: 'value' });
    const value = valueBytes instanceof Promise ? await valueBytes : valueBytes;
    this.#outgoing.push({
      record: { topic: sink.topic, key, value, timestamp: record.timestamp, headers: record.headers },
      committed: {
        sink: sink.name,
        topic: sink.topic,
        key: record.key,
        value: record.value,
        timestamp: record.timestamp,
      },
    });
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
        await this.#drain(
          (this.#deps.topology.node(p.processor) as { children: string[] }).children,
          entry.context,
        );
        txn.commitRecord();
        this.#dirtySince ??= this.now();
      } catch (error) {
        txn.rollbackRecord();
        this.#outgoing.length = mark;
        entry.context.pending.length = 0;
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
    if (this.#dirtySince === undefined) return { committed: false, records: 0, outputs: [] };
    const unit = this.#commitUnit;
    if (!unit) throw new Error(`task ${this.taskId} has no commit unit`);
    const started = performance.now();
    const txn = this.#deps.stateManager.transaction();
    const changelog: OutgoingRecord[] = txn.changelogRecords().map((c) => ({
      topic: changelogTopicFor(this.applicationId, c.store),
      partition: this.partition,
      key: c.key,
      value: c.value,
    }));
    const records = [...this.#outgoing.map((o) => o.record), ...changelog];
    const offsets = [...this.#nextOffsets.values()];
    const outputs = this.#outgoing.flatMap((o) => (o.committed ? [o.committed] : []));
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
    const checkpoints = new Map<string, bigint>();
    for (const c of this.changelogPartitions()) {
      const last = produced.get(tpKey(c));
      if (last !== undefined) checkpoints.set(c.store, BigInt(last + 1));
    }
    await txn.flush(checkpoints);
    const count = this.#processedSinceCommit;
    this.#outgoing = [];
    this.#processedSinceCommit = 0;
    this.#dirtySince = undefined;
    this.#deps.metrics.commits.inc({ task: this.taskId });
    this.#deps.metrics.commitLatency.observe((performance.now() - started) / 1000);
    return { committed: true, records: count, outputs };
  }

  /** Drops everything since the last commit: outputs, dead letters and buffered state writes. */
  discardUncommitted(): void {
    this.#deps.stateManager.transaction().abort();
    this.#outgoing = [];
    this.#processedSinceCommit = 0;
    this.#dirtySince = undefined;
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
