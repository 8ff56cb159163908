import type { StreamRecord } from './processor-api.ts';

/**
 * The records one processor forwarded while it handled a record or a punctuation, each with the
 * child it is for (undefined: every child), until the processor graph dispatches them. Its
 * context only pushes; the graph reads and empties it; the record scope empties it on rollback.
 */
export class ForwardQueue {
  // Slots are reused through #length: emptying the arrays would release their storage and make
  // every record allocate it again.
  readonly #records: Array<StreamRecord<unknown, unknown> | undefined> = [];
  readonly #children: Array<string | undefined> = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(record: StreamRecord<unknown, unknown>, child: string | undefined): void {
    const index = this.#length++;
    this.#records[index] = record;
    this.#children[index] = child;
  }

  record(index: number): StreamRecord<unknown, unknown> {
    return this.#records[index] as StreamRecord<unknown, unknown>;
  }

  /** The child the record at `index` is for; undefined: every child. */
  child(index: number): string | undefined {
    return this.#children[index];
  }

  /** Forgets what was forwarded (dispatched, or dropped because the record failed). */
  clear(): void {
    for (let index = 0; index < this.#length; index++) {
      this.#records[index] = undefined;
      this.#children[index] = undefined;
    }
    this.#length = 0;
  }
}
