import type { TaskTransaction } from '../state/index.ts';
import { ForwardQueue } from './forward-queue.ts';
import type { ConsumedRecord } from './records.ts';
import type { RecordCollector } from './record-collector.ts';
import type { RecordOrigin } from './processor-api.ts';

/**
 * What the task is processing now — one input record, or one punctuation — and the savepoint that
 * undoes all it did: its state writes (the task transaction's record savepoint), its outputs (the
 * collector's length when it began) and what its processors forwarded and nobody dispatched yet.
 * One at a time: the task processes records and punctuations in turn, under its lock.
 */
export class RecordScope {
  readonly #transaction: TaskTransaction;
  readonly #collector: RecordCollector;
  readonly #forwardQueues: ForwardQueue[] = [];
  #outputMark = 0;
  // The input record; its origin is built only if a processor asks for it.
  #record: ConsumedRecord | undefined;
  #origin: RecordOrigin | undefined;
  /** The timestamp of what is processed: the record's event time, or the punctuation's time. */
  timestamp = 0;

  constructor(transaction: TaskTransaction, collector: RecordCollector) {
    this.#transaction = transaction;
    this.#collector = collector;
  }

  /** A queue for one processor's forwarded records, emptied whenever the scope rolls back. */
  forwardQueue(): ForwardQueue {
    const queue = new ForwardQueue();
    this.#forwardQueues.push(queue);
    return queue;
  }

  /** Where the record being processed comes from; undefined inside a punctuation. */
  get origin(): RecordOrigin | undefined {
    const record = this.#record;
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

  /** Starts processing an input record: a savepoint, and the record as the current one. */
  begin(record: ConsumedRecord): void {
    this.#outputMark = this.#collector.length;
    this.#transaction.beginRecord();
    this.#record = record;
    this.#origin = undefined;
    this.timestamp = record.timestamp;
  }

  /** Starts a punctuation at `timestamp`: a savepoint, and no current record. */
  beginPunctuation(timestamp: number): void {
    this.#outputMark = this.#collector.length;
    this.#transaction.beginRecord();
    this.#record = undefined;
    this.#origin = undefined;
    this.timestamp = timestamp;
  }

  /** Keeps what the record or punctuation did. */
  commit(): void {
    this.#transaction.commitRecord();
  }

  /** Undoes what the record or punctuation did: state writes, outputs and forwards. */
  rollback(): void {
    this.#transaction.rollbackRecord();
    this.#collector.truncate(this.#outputMark);
    for (const queue of this.#forwardQueues) queue.clear();
  }

  /** The record is done with, kept or rolled back. */
  end(): void {
    this.#record = undefined;
    this.#origin = undefined;
  }
}
