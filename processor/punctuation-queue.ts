import type { PunctuationType } from './processor-api.ts';

/** One scheduled punctuation of one processor (ProcessorContext.schedule). */
export interface Punctuator {
  processor: string;
  type: PunctuationType;
  intervalMs: number;
  /** The next time it is due; NaN until the first stream time is known. */
  next: number;
  callback: (timestamp: number) => void | Promise<void>;
  cancelled: boolean;
}

/**
 * A task's scheduled punctuations, in the order they were scheduled, and when each is due next.
 * Running one (its savepoint, its forwards) is the task's: it gives the queue how.
 */
export class PunctuationQueue {
  readonly #punctuators: Punctuator[] = [];
  readonly #run: (punctuator: Punctuator, type: PunctuationType, time: number) => Promise<void>;

  constructor(run: (punctuator: Punctuator, type: PunctuationType, time: number) => Promise<void>) {
    this.#run = run;
  }

  get size(): number {
    return this.#punctuators.length;
  }

  add(punctuator: Punctuator): void {
    this.#punctuators.push(punctuator);
  }

  /**
   * Runs every punctuator of `type` due at `time`, in turn; a negative time is not known yet.
   * Undefined when none is due: this runs after every record, and an async call per record was a
   * promise per record for nothing.
   */
  punctuate(type: PunctuationType, time: number): Promise<void> | undefined {
    if (time < 0) return undefined;
    for (const p of this.#punctuators) {
      if (p.cancelled || p.type !== type) continue;
      if (Number.isNaN(p.next) || time >= p.next) return this.#runDue(type, time);
    }
    return undefined;
  }

  async #runDue(type: PunctuationType, time: number): Promise<void> {
    // Punctuators scheduled meanwhile (by a punctuation) are taken in the same pass.
    for (const p of this.#punctuators) {
      if (p.cancelled || p.type !== type) continue;
      if (Number.isNaN(p.next)) p.next = time + p.intervalMs;
      if (time < p.next) continue;
      // Catch up at most once per call: a long pause does not fire a burst of punctuations.
      p.next = time + p.intervalMs - ((time - p.next) % p.intervalMs);
      await this.#run(p, type, time);
    }
  }
}
