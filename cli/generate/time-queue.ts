/**
 * Items ordered by a time, ties in the order they were added (a binary min-heap): the history
 * prelude's events, and the event-timed steps of incidents waiting for their emission slot.
 */
export class TimeQueue<T> {
  readonly #times: number[] = [];
  readonly #sequence: number[] = [];
  readonly #items: T[] = [];
  #added = 0;

  get size(): number {
    return this.#items.length;
  }

  add(time: number, item: T): void {
    this.#times.push(time);
    this.#sequence.push(this.#added++);
    this.#items.push(item);
    let i = this.#items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** The earliest time waiting; +Infinity when empty. */
  peekTime(): number {
    return this.#items.length === 0 ? Number.POSITIVE_INFINITY : (this.#times[0] as number);
  }

  /** Removes and returns the earliest item (undefined when empty). */
  take(): T | undefined {
    const size = this.#items.length;
    if (size === 0) return undefined;
    const top = this.#items[0] as T;
    this.#swap(0, size - 1);
    this.#times.pop();
    this.#sequence.pop();
    this.#items.pop();
    let i = 0;
    const n = size - 1;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < n && this.#before(left, least)) least = left;
      if (right < n && this.#before(right, least)) least = right;
      if (least === i) break;
      this.#swap(i, least);
      i = least;
    }
    return top;
  }

  #before(a: number, b: number): boolean {
    const ta = this.#times[a] as number;
    const tb = this.#times[b] as number;
    return ta < tb || (ta === tb && (this.#sequence[a] as number) < (this.#sequence[b] as number));
  }

  #swap(a: number, b: number): void {
    [this.#times[a], this.#times[b]] = [this.#times[b] as number, this.#times[a] as number];
    [this.#sequence[a], this.#sequence[b]] = [this.#sequence[b] as number, this.#sequence[a] as number];
    [this.#items[a], this.#items[b]] = [this.#items[b] as T, this.#items[a] as T];
  }
}
