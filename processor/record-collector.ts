import type { OutgoingChangelogRecord } from '../state/index.ts';
import { deadLetterFor, type DeadLetterReason } from './dead-letter.ts';
import { RejectedRecordError, describeError } from './errors.ts';
import type { OutgoingRecords } from './kafka/client.ts';
import { OutgoingRecordList } from './kafka/client.ts';
import type { ConsumedRecord, OutgoingRecord } from './records.ts';
import type { Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import type { TopicTally } from './output-tally.ts';
import type { SerdeContext } from './serde.ts';
import type { StreamRecord } from './processor-api.ts';
import type { SinkNode } from './topology.ts';

/** An output that was committed, handed to post-commit hooks (the Redis cache, say) in order. */
export interface CommittedOutput {
  sink: string;
  topic: string;
  key: unknown;
  value: unknown;
  timestamp: number;
}

/** A sink as the processor graph reaches it: the node and its serde contexts, resolved once. */
export interface SinkRoute {
  readonly kind: 'sink';
  readonly name: string;
  readonly sink: SinkNode;
  readonly keyContext: SerdeContext;
  readonly valueContext: SerdeContext;
  /** What this task produced to the sink's topic since its last commit (outputTally()). */
  readonly tally: TopicTally;
}

export interface RecordCollectorDeps {
  readonly applicationId: string;
  readonly appVersion: string;
  readonly taskId: string;
  /** Whether to keep what post-commit hooks get of each output (its sink, key and value unserialized). */
  readonly collectCommittedOutputs: boolean;
  readonly metrics: EngineMetrics;
  /** The task's logger. */
  readonly log: Logger;
}

/**
 * What a task produces until its next commit (Kafka Streams' RecordCollector): outputs serialized
 * by their sinks, dead letters, and at commit the changelog records, in order, in its commit
 * unit's own OutgoingRecords (the kafkajs adapter encodes them into record batches as they come,
 * so nothing per record lives until the commit). A failed record's outputs can be taken back.
 */
export class RecordCollector {
  readonly #deps: RecordCollectorDeps;
  readonly #collect: boolean;
  #records: OutgoingRecords = new OutgoingRecordList();
  // Only when collecting: index-aligned with the records, undefined for dead letters.
  readonly #committed: Array<CommittedOutput | undefined> = [];
  // Index-aligned with the records: each output's tally (undefined for dead letters), so that a
  // rolled-back record's outputs are taken back from their tallies too.
  readonly #tallyAt: Array<TopicTally | undefined> = [];
  readonly #tallies = new Map<string, TopicTally>();

  constructor(deps: RecordCollectorDeps) {
    this.#deps = deps;
    this.#collect = deps.collectCommittedOutputs;
  }

  /** The commit unit's kind of OutgoingRecords; only while nothing is pending. */
  use(records: OutgoingRecords): void {
    if (this.#records.length > 0) throw new Error('outgoing records replaced while records were pending');
    this.#records = records;
  }

  /** The tally of this task's outputs to `topic`, for its sink routes. */
  outputTally(topic: string): TopicTally {
    let tally = this.#tallies.get(topic);
    if (tally === undefined) this.#tallies.set(topic, (tally = this.#deps.metrics.outputTally(topic)));
    return tally;
  }

  get records(): OutgoingRecords {
    return this.#records;
  }

  get length(): number {
    return this.#records.length;
  }

  // Serialization is synchronous as long as the sink's serdes are: a promise only when one waits.

  /** Serializes a record for its sink and adds it; a promise only if a serde answered with one. */
  toSink(route: SinkRoute, record: StreamRecord<unknown, unknown>): Promise<void> | undefined {
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
    if (value instanceof Promise) return value.then((bytes) => this.#addOutput(route, record, key, bytes));
    this.#addOutput(route, record, key, value);
    return undefined;
  }

  #addOutput(
    route: SinkRoute,
    record: StreamRecord<unknown, unknown>,
    key: Buffer | null,
    value: Buffer | null,
  ): void {
    const topic = route.sink.topic;
    if (this.#collect) {
      this.#committed[this.#records.length] = {
        sink: route.name,
        topic,
        key: record.key,
        value: record.value,
        timestamp: record.timestamp,
      };
    }
    this.#tallyAt[this.#records.length] = route.tally;
    route.tally.added(record.timestamp);
    this.#records.add({ topic, key, value, timestamp: record.timestamp, headers: record.headers });
  }

  /** Adds the dead letter of a record that could not be decoded or processed, counted and logged. */
  addDeadLetter(record: ConsumedRecord, reason: DeadLetterReason, cause: unknown): void {
    const { applicationId, appVersion, taskId, metrics, log } = this.#deps;
    if (this.#collect) this.#committed[this.#records.length] = undefined;
    this.#tallyAt[this.#records.length] = undefined;
    // The dead letter names the serde's or processor's own error class.
    this.#records.add(deadLetterFor(applicationId, appVersion, taskId, record, reason, cause));
    metrics.deadLetters.inc(
      cause instanceof RejectedRecordError
        ? { reason, topic: record.topic, code: cause.code }
        : { reason, topic: record.topic },
    );
    log.warn(
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

  /** Adds the commit's changelog records (after everything the task produced). */
  addChangelogRecords(records: readonly OutgoingChangelogRecord[]): void {
    for (const record of records) this.#records.add(record);
  }

  /** Adds the commit's state mark (processor/state-marks.ts), after its changelog records. */
  addStateMark(record: OutgoingRecord): void {
    this.#records.add(record);
  }

  /** Drops everything after the first `length` entries (a record's outputs, on rollback). */
  truncate(length: number): void {
    const tallies = this.#tallyAt;
    for (let i = length; i < tallies.length; i++) {
      const tally = tallies[i];
      if (tally !== undefined) tally.uncommitted--;
    }
    tallies.length = Math.min(length, tallies.length);
    this.#records.truncate(length);
    if (this.#collect) this.#committed.length = Math.min(length, this.#committed.length);
  }

  committedOutputs(): CommittedOutput[] {
    const outputs: CommittedOutput[] = [];
    for (const output of this.#committed) if (output !== undefined) outputs.push(output);
    return outputs;
  }

  /** The outputs since the last clear() are committed, at `nowMs`: their tallies report them. */
  reportCommitted(nowMs: number): void {
    for (const tally of this.#tallies.values()) tally.committed(nowMs);
  }

  /** Drops everything added (committed, and reported, or discarded). */
  clear(): void {
    this.#records.clear();
    this.#committed.length = 0;
    this.#tallyAt.length = 0;
    for (const tally of this.#tallies.values()) tally.cleared();
  }
}
