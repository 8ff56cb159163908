import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  ChangelogPartition,
  ChangelogRange,
  ChangelogSource,
  ChangelogSourceRecord,
  OffsetRange,
} from '../state/index.ts';
import type { Clock } from './clock.ts';
import type { CommitUnit, OutgoingRecords, ProducedOffsets } from './kafka/client.ts';
import type { ConsumedRecord, Headers } from './records.ts';
import { OutgoingRecordList } from './kafka/client.ts';
import { EngineMetrics } from './metrics.ts';
import type { CommittedOutput } from './record-collector.ts';
import type { StreamTask } from './task.ts';
import { startInProcessTask } from './in-process-task.ts';
import { changelogTopicFor, deadLetterTopicFor } from './internal-topics.ts';
import type { Topology } from './topology.ts';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start = 0) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

export interface DriverRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  timestamp: number;
}

/**
 * In-memory topics that stand in for the broker: the commit unit appends, offsets count up; the
 * stores' changelogs are read back from them.
 */
class InMemoryLog implements CommitUnit, ChangelogSource {
  readonly transactional = true;
  readonly topics = new Map<string, DriverRecord[]>();
  /** Next offset per topic-partition, as a broker's log end. */
  readonly #ends = new Map<string, number>();

  outgoing(): OutgoingRecordList {
    return new OutgoingRecordList();
  }

  async commit(records: OutgoingRecords): Promise<ProducedOffsets> {
    const produced: ProducedOffsets = new Map();
    for (const r of OutgoingRecordList.recordsOf(records)) {
      const partition = r.partition ?? 0;
      const key = `${r.topic}:${partition}`;
      let log = this.topics.get(r.topic);
      if (!log) this.topics.set(r.topic, (log = []));
      const offset = this.#ends.get(key) ?? 0;
      this.#ends.set(key, offset + 1);
      log.push({
        topic: r.topic,
        partition,
        offset,
        key: r.key,
        value: r.value,
        headers: r.headers ?? {},
        timestamp: r.timestamp ?? 0,
      });
      produced.set(key, offset);
    }
    return produced;
  }

  async offsetRange(partitions: ChangelogPartition[]): Promise<ReadonlyMap<string, OffsetRange>> {
    return new Map(
      partitions.map((tp) => {
        const key = `${tp.topic}:${tp.partition}`;
        return [key, { start: 0, end: this.#ends.get(key) ?? 0 }];
      }),
    );
  }

  async read(
    ranges: ChangelogRange[],
    onRecords: (records: ChangelogSourceRecord[]) => Promise<void>,
  ): Promise<void> {
    for (const range of ranges) {
      const records = (this.topics.get(range.topic) ?? []).filter(
        (r) => r.partition === range.partition && r.offset >= range.from && r.offset < range.to,
      );
      if (records.length > 0) await onRecords(records);
    }
  }

  async close(): Promise<void> {}
}

/**
 * Runs a topology without a broker, for fast unit tests of processors (as Kafka Streams'
 * TopologyTestDriver). It drives the same task code as the engine, with real LevelDB stores in a
 * temporary directory; every piped record is committed at once.
 */
export class TopologyTestDriver {
  readonly clock: ManualClock;
  /** The task's engine metrics (records processed, dead letters by reason…). */
  readonly metrics: EngineMetrics;
  readonly committedOutputs: CommittedOutput[] = [];
  readonly #task: StreamTask;
  readonly #log: InMemoryLog;
  readonly #topology: Topology;
  readonly #stateDir: string;
  readonly #applicationId: string;
  #inputOffsets = new Map<string, number>();

  private constructor(
    topology: Topology,
    task: StreamTask,
    log: InMemoryLog,
    clock: ManualClock,
    stateDir: string,
    applicationId: string,
    metrics: EngineMetrics,
  ) {
    this.metrics = metrics;
    this.#topology = topology;
    this.#task = task;
    this.#log = log;
    this.clock = clock;
    this.#stateDir = stateDir;
    this.#applicationId = applicationId;
  }

  static async create(
    topology: Topology,
    opts: { applicationId?: string; partition?: number; wallClockStart?: number } = {},
  ): Promise<TopologyTestDriver> {
    const applicationId = opts.applicationId ?? 'test-driver';
    const stateDir = await mkdtemp(join(tmpdir(), 'saldo-driver-'));
    const clock = new ManualClock(opts.wallClockStart ?? 0);
    const metrics = new EngineMetrics();
    const log = new InMemoryLog();
    // A fresh state directory and an empty log: nothing to restore, no offsets committed yet.
    const task = await startInProcessTask(topology, {
      applicationId,
      stateDir,
      partition: opts.partition ?? 0,
      clock,
      metrics,
      commitUnit: log,
      changelogs: log,
    });
    return new TopologyTestDriver(topology, task, log, clock, stateDir, applicationId, metrics);
  }

  /** Pipes one record, serialized with its source's serdes, and commits. */
  async pipe<K, V>(
    topic: string,
    record: { key: K | null; value: V | null; timestamp?: number; headers?: Headers },
  ): Promise<void> {
    const source = this.#topology.sourceFor(topic) ?? this.#topology.tableFor(topic);
    if (!source) throw new Error(`no source or table reads topic '${topic}'`);
    const key =
      record.key === null ? null : await source.keySerde.serialize(record.key, { topic, part: 'key' });
    const value =
      record.value === null
        ? null
        : await source.valueSerde.serialize(record.value, { topic, part: 'value' });
    await this.pipeRaw(topic, { key, value, timestamp: record.timestamp, headers: record.headers });
  }

  /** Pipes raw bytes (to test what undecodable input does) and commits. */
  async pipeRaw(
    topic: string,
    record: { key: Buffer | null; value: Buffer | null; timestamp?: number; headers?: Headers },
  ): Promise<void> {
    const offset = this.#inputOffsets.get(topic) ?? 0;
    this.#inputOffsets.set(topic, offset + 1);
    const consumed: ConsumedRecord = {
      topic,
      partition: this.#task.partition,
      offset,
      timestamp: record.timestamp ?? this.clock.now(),
      key: record.key,
      value: record.value,
      headers: record.headers ?? {},
    };
    await this.#task.process(consumed);
    await this.commit();
  }

  /** Moves wall-clock time, firing wall-clock punctuations, and commits. */
  async advanceWallClock(ms: number): Promise<void> {
    this.clock.advance(ms);
    await this.#task.punctuateWallClock(this.clock.now());
    await this.commit();
  }

  async commit(): Promise<void> {
    const outcome = await this.#task.commit();
    this.committedOutputs.push(...outcome.outputs);
  }

  /** Raw records written to a topic (outputs, changelogs, dead letters). */
  records(topic: string): DriverRecord[] {
    return [...(this.#log.topics.get(topic) ?? [])];
  }

  /** Outputs of a sink topic, decoded as the sink's processors produced them. */
  outputs<K, V>(topic: string): Array<{ key: K | null; value: V | null; timestamp: number }> {
    return this.committedOutputs
      .filter((o) => o.topic === topic)
      .map((o) => ({ key: o.key as K | null, value: o.value as V | null, timestamp: o.timestamp }));
  }

  deadLetters(): DriverRecord[] {
    return this.records(deadLetterTopicFor(this.#applicationId));
  }

  changelog(store: string): DriverRecord[] {
    return this.records(changelogTopicFor(this.#applicationId, store));
  }

  keyValueStore<K, V>(name: string) {
    return this.#task.keyValueStore<K, V>(name);
  }

  ttlKeyValueStore<K, V>(name: string) {
    return this.#task.ttlKeyValueStore<K, V>(name);
  }

  windowedStore<K, V>(name: string) {
    return this.#task.windowedStore<K, V>(name);
  }

  async close(): Promise<void> {
    await this.#task.close();
    await rm(this.#stateDir, { recursive: true, force: true });
  }
}
