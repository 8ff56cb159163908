/**
 * Records waiting for their turn: each is due at an emission slot, and goes out at that slot or,
 * when several are due together, at the next free ones, in the order they were scheduled. Slots are
 * a ring of buckets (no sorting, no allocation per slot): a record can be due at most `horizon`
 * slots ahead.
 */
export class EmissionSchedule<T> {
  readonly #buckets: T[][];
  readonly #mask: number;
  /** Due and waiting, oldest first, from #head on. */
  #ready: T[] = [];
  #head = 0;
  /** The next slot whose bucket has not been moved to #ready yet. */
  #slot = 0;
  #waiting = 0;

  constructor(horizon: number) {
    let size = 1;
    while (size <= horizon) size *= 2;
    this.#buckets = Array.from({ length: size }, () => []);
    this.#mask = size - 1;
  }

  /** Records scheduled and not taken yet. */
  get size(): number {
    return this.#waiting;
  }

  /** Schedules an item for `slot` (the current slot or a later one within the horizon). */
  add(slot: number, item: T): void {
    if (slot < this.#slot) {
      this.#ready.push(item);
    } else {
      if (slot - this.#slot > this.#mask) {
        throw new RangeError(
          `slot ${slot} is beyond the schedule's horizon (${this.#mask} from ${this.#slot})`,
        );
      }
      (this.#buckets[slot & this.#mask] as T[]).push(item);
    }
    this.#waiting += 1;
  }

  /** The next item due at or before `slot`, or undefined when nothing is due. */
  take(slot: number): T | undefined {
    while (this.#slot <= slot) {
      const bucket = this.#buckets[this.#slot & this.#mask] as T[];
      for (let i = 0; i < bucket.length; i++) this.#ready.push(bucket[i] as T);
      bucket.length = 0;
      this.#slot += 1;
    }
    if (this.#head === this.#ready.length) return undefined;
    const item = this.#ready[this.#head] as T;
    this.#head += 1;
    this.#waiting -= 1;
    if (this.#head === this.#ready.length) {
      this.#ready.length = 0;
      this.#head = 0;
    } else if (this.#head > 4_096 && this.#head * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
