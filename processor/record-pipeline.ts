import type { StateManager } from '../state/index.ts';
import { processingFailureReason, type DeadLetterReason } from './dead-letter.ts';
import type { ConsumedRecord, TopicPartitionOffset } from './records.ts';
import { tpKey } from './records.ts';
import type { Logger } from './log.ts';
import type { InputRoute, ProcessorGraph } from './processor-graph.ts';
import type { PunctuationQueue } from './punctuation-queue.ts';
import type { RecordCollector } from './record-collector.ts';
import type { RecordScope } from './record-scope.ts';
import type { TaskCommit } from './task-commit.ts';
import type { TaskInputs } from './task-inputs.ts';
import type { StreamRecord } from './processor-api.ts';

// #processAsync's value argument when the value is still to be decoded.
const NOT_DECODED = Symbol('not decoded');

export interface RecordPipelineParts {
  readonly taskId: string;
  readonly partition: number;
  readonly inputs: TaskInputs;
  readonly graph: ProcessorGraph;
  readonly scope: RecordScope;
  readonly collector: RecordCollector;
  readonly punctuations: PunctuationQueue;
  readonly commit: TaskCommit;
  readonly state: StateManager;
  /** The task's logger. */
  readonly log: Logger;
}

/**
 * The path of one input record through its task: records below the input's next offset are
 * skipped as re-fetches; the source's serdes decode key and value; its event time advances stream
 * time; the processor graph runs it; a record that fails to decode or process is rolled back and
 * becomes a dead letter; then its input moves on, and stream-time punctuations that are due run.
 */
export class RecordPipeline {
  readonly #taskId: string;
  readonly #partition: number;
  readonly #inputs: TaskInputs;
  readonly #graph: ProcessorGraph;
  readonly #scope: RecordScope;
  readonly #collector: RecordCollector;
  readonly #punctuations: PunctuationQueue;
  readonly #commit: TaskCommit;
  readonly #state: StateManager;
  readonly #log: Logger;

  constructor(parts: RecordPipelineParts) {
    this.#taskId = parts.taskId;
    this.#partition = parts.partition;
    this.#inputs = parts.inputs;
    this.#graph = parts.graph;
    this.#scope = parts.scope;
    this.#collector = parts.collector;
    this.#punctuations = parts.punctuations;
    this.#commit = parts.commit;
    this.#state = parts.state;
    this.#log = parts.log;
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
      this.#scope.end();
      throw error;
    }
  }

  /** `decoded`: the value, when the partition group decoded it already to order the record. */
  #process(record: ConsumedRecord, decoded?: { readonly value: unknown }): Promise<void> | undefined {
    const input = this.#graph.input(record.topic);
    if (!input) throw new Error(`task ${this.#taskId} has no source for topic ${record.topic}`);
    const inputKey = record.partition === this.#partition ? input.offsetKey : tpKey(record);
    const next = this.#inputs.position(inputKey);
    // Already processed (a consumer re-fetch); but a table's bootstrap re-applies what local state lacks.
    if (this.#inputs.isDuplicate(record, next)) return undefined;

    const scope = this.#scope;
    scope.begin(record);
    const source = input.source;
    let reason: DeadLetterReason = 'deserialization';
    try {
      // Await only what is asynchronous (Avro): each needless await costs every record a turn.
      const key = record.key === null ? null : source.keySerde.deserialize(record.key, input.keyContext);
      if (key instanceof Promise) {
        const valueDecoding = decoded === undefined ? NOT_DECODED : decoded.value;
        return this.#processAsync(record, input, inputKey, next, key, valueDecoding);
      }
      const value =
        decoded !== undefined
          ? decoded.value
          : record.value === null
            ? null
            : source.valueSerde.deserialize(record.value, input.valueContext);
      if (value instanceof Promise) {
        return this.#processAsync(record, input, inputKey, next, key, value);
      }
      reason = 'processing';
      const timestamp = this.#inputs.eventTime(source, record, value);
      scope.timestamp = timestamp;
      const dispatched = this.#graph.dispatch(
        input.children,
        this.#streamRecord(record, key, value, timestamp),
        undefined,
        0,
      );
      if (dispatched !== undefined) {
        return this.#processAsync(record, input, inputKey, next, key, value, dispatched);
      }
      scope.commit();
    } catch (error) {
      this.#deadLetter(record, reason, error);
    }
    this.#endRecord(record, input, inputKey, next);
    const punctuations = this.#punctuations;
    return punctuations.size > 0 ? punctuations.punctuate('stream-time', this.#inputs.streamTime) : undefined;
  }

  /** The rest of #process, from a step that returned a promise (each argument given is that far). */
  async #processAsync(
    record: ConsumedRecord,
    input: InputRoute,
    inputKey: string,
    next: TopicPartitionOffset | undefined,
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
        const timestamp = this.#inputs.eventTime(input.source, record, value);
        this.#scope.timestamp = timestamp;
        dispatched = this.#graph.dispatch(
          input.children,
          this.#streamRecord(record, key, value, timestamp),
          undefined,
          0,
        );
      } else {
        reason = 'processing';
      }
      if (dispatched !== undefined) await dispatched;
      this.#scope.commit();
    } catch (error) {
      try {
        this.#deadLetter(record, reason, error);
      } catch (failure) {
        this.#scope.end();
        throw failure;
      }
    }
    this.#endRecord(record, input, inputKey, next);
    if (this.#punctuations.size > 0)
      await this.#punctuations.punctuate('stream-time', this.#inputs.streamTime);
  }

  #streamRecord(
    record: ConsumedRecord,
    key: unknown,
    value: unknown,
    timestamp: number,
  ): StreamRecord<unknown, unknown> {
    return { key, value, timestamp, headers: record.headers };
  }

  /** Undoes what the record did (state writes, outputs, forwards) and queues its dead letter. */
  #deadLetter(record: ConsumedRecord, stage: DeadLetterReason, cause: unknown): void {
    const reason = stage === 'processing' ? processingFailureReason(cause) : stage;
    this.#scope.rollback();
    if (this.#inputs.isBootstrapReread(record)) {
      // Re-read below the committed offset: whoever committed past it already sent its dead letter.
      this.#log.debug(
        { topic: record.topic, offset: record.offset },
        'bad table record re-read; no new dead letter',
      );
      return;
    }
    this.#collector.addDeadLetter(record, reason, cause);
  }

  #endRecord(
    record: ConsumedRecord,
    input: InputRoute,
    inputKey: string,
    next: TopicPartitionOffset | undefined,
  ): void {
    this.#scope.end();
    this.#inputs.advance(record, inputKey, next);
    // A table's store covers its topic up to the last record applied (the topic is its changelog).
    if (input.tableStore !== undefined) {
      this.#state.advanceInputCheckpoint(input.tableStore, record.offset + 1);
    }
    this.#commit.recordProcessed();
  }
}
