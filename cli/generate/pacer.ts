/**
 * Holds a target rate: record n (from 0) may go at start + n / rate, and a batch goes when its
 * last record's time has come. A pacer that fell behind (a slow broker) catches up at most
 * MAX_CATCH_UP_MS of backlog in a burst, like a token bucket of that depth, rather than flooding
 * the topic after a stall.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Wall-clock time and waiting, injected so that tests run the loop on a fake clock. */
export interface RunClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemRunClock: RunClock = {
  now: () => performance.now(),
  sleep: async (ms) => {
    await sleep(ms);
  },
};

const MAX_CATCH_UP_MS = 1_000;

export class RatePacer {
  readonly #clock: RunClock;
  /** ms between records; 0 when the rate is unlimited. */
  readonly #intervalMs: number;
  /** When the next record may go. */
  #nextDue: number;

  /** `rate`: records per second, or undefined for as fast as the sink takes them. */
  constructor(rate: number | undefined, clock: RunClock) {
    this.#clock = clock;
    this.#intervalMs = rate === undefined ? 0 : 1_000 / rate;
    this.#nextDue = clock.now();
  }

  /** Resolves once `records` more records may be sent. */
  async admit(records: number): Promise<void> {
    if (this.#intervalMs === 0 || records <= 0) return;
    const now = this.#clock.now();
    if (this.#nextDue < now - MAX_CATCH_UP_MS) this.#nextDue = now - MAX_CATCH_UP_MS;
    const lastDue = this.#nextDue + (records - 1) * this.#intervalMs;
    this.#nextDue += records * this.#intervalMs;
    if (lastDue > now) await this.#clock.sleep(lastDue - now);
  }
}
