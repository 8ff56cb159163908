import { StoreError } from '../state/index.ts';

/** How long a task's stores may stay locked by their previous owner before the wait warrants a warning. */
export const LOCKED_STORES_QUIET_MS = 30_000;

/**
 * The level at which a task manager logs that it cannot open a task's stores yet (it retries every
 * second). Stores still locked by their previous owner in this process (another stream thread that
 * is closing the task after a revocation) are the routine hand-over of a rebalance, as at every
 * start of an instance with several stream threads: info, while that lasts less than
 * LOCKED_STORES_QUIET_MS. Anything else, or a lock held longer, is a warning.
 */
export class TaskOpenRetries {
  readonly #failingSince = new Map<number, number>();

  /** The task of `partition` failed to open its stores at `now` (ms); the level to log it at. */
  failed(partition: number, error: unknown, now: number): 'info' | 'warn' {
    const since = this.#failingSince.get(partition) ?? now;
    this.#failingSince.set(partition, since);
    const locked = error instanceof StoreError && error.retriable;
    return locked && now - since < LOCKED_STORES_QUIET_MS ? 'info' : 'warn';
  }

  /** The task of `partition` opened its stores: its next failure starts a new wait. */
  settled(partition: number): void {
    this.#failingSince.delete(partition);
  }
}
