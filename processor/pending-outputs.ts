import type { OutgoingRecords } from './kafka/client.ts';
import type { OutgoingRecord } from './records.ts';
import { OutgoingRecordList } from './kafka/client.ts';

/** An output that was committed, handed to post-commit hooks (the Redis cache, say) in order. */
export interface CommittedOutput {
  sink: string;
  topic: string;
  key: unknown;
  value: unknown;
  timestamp: number;
}

/**
 * What a task produced since its last commit: outputs and dead letters, in order, in its commit
 * unit's own OutgoingRecords (the kafkajs adapter encodes them into record batches as they come,
 * so nothing per record lives until the commit). With post-commit hooks it also keeps what the
 * hooks get of each output: the sink and the unserialized key and value.
 */
export class PendingOutputs {
  #records: OutgoingRecords = new OutgoingRecordList();
  readonly #collect: boolean;
  // Only when collecting: index-aligned with the records, undefined for dead letters.
  readonly #committed: Array<CommittedOutput | undefined> = [];

  constructor(collect: boolean) {
    this.#collect = collect;
  }

  /** The commit unit's kind of OutgoingRecords; only while nothing is pending. */
  use(records: OutgoingRecords): void {
    if (this.#records.length > 0) throw new Error('outgoing records replaced while records were pending');
    this.#records = records;
  }

  get records(): OutgoingRecords {
    return this.#records;
  }

  get length(): number {
    return this.#records.length;
  }

  addOutput(sink: string, record: OutgoingRecord, key: unknown, value: unknown): void {
    if (this.#collect) {
      this.#committed[this.#records.length] = {
        sink,
        topic: record.topic,
        key,
        value,
        timestamp: record.timestamp ?? 0,
      };
    }
    this.#records.add(record);
  }

  addDeadLetter(record: OutgoingRecord): void {
    if (this.#collect) this.#committed[this.#records.length] = undefined;
    this.#records.add(record);
  }

  /** Drops everything after the first `length` entries (a record's outputs, on rollback). */
  truncate(length: number): void {
    this.#records.truncate(length);
    if (this.#collect) this.#committed.length = Math.min(length, this.#committed.length);
  }

  committedOutputs(): CommittedOutput[] {
    const outputs: CommittedOutput[] = [];
    for (const output of this.#committed) if (output !== undefined) outputs.push(output);
    return outputs;
  }

  clear(): void {
    this.#records.clear();
    this.#committed.length = 0;
  }
}
