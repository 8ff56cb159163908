import { SaldoError, describeError } from './errors.ts';
import type { Logger } from './log.ts';

/** The pause after the first commit that failed on an error retrying cannot fix; doubled each time. */
const UNRECOVERABLE_BACKOFF_MS = 1_000;

/**
 * Commits that failed in a row, per partition, on an error retrying cannot fix (a missing topic,
 * no authorization). The task pauses, for twice as long each time, and after `limit` failures in
 * a row the instance stops, saying why, rather than reprocess the same records forever.
 */
export class UnrecoverableCommits {
  readonly #limit: number;
  readonly #log: Logger;
  readonly #onFatal: (error: SaldoError) => void;
  readonly #failures = new Map<number, number>();

  constructor(deps: { limit: number; log: Logger; onFatal: (error: SaldoError) => void }) {
    this.#limit = deps.limit;
    this.#log = deps.log;
    this.#onFatal = deps.onFatal;
  }

  /** A commit of the partition's task went through: its count starts again. */
  succeeded(partition: number): void {
    this.#failures.delete(partition);
  }

  /**
   * Counts a failure of the task's commit: the pause before the task starts again, or undefined
   * once the limit is reached (the instance is told to stop).
   */
  failed(
    task: { readonly taskId: string; readonly partition: number },
    error: SaldoError,
  ): number | undefined {
    const attempts = (this.#failures.get(task.partition) ?? 0) + 1;
    this.#failures.set(task.partition, attempts);
    const limit = this.#limit;
    if (attempts >= limit) {
      this.#onFatal(
        new SaldoError(
          `task ${task.taskId} failed to commit ${attempts} times in a row on an error retrying cannot fix: ${describeError(error).message}`,
          { retriable: false, context: { taskId: task.taskId }, cause: error },
        ),
      );
      return undefined;
    }
    const pauseMs = UNRECOVERABLE_BACKOFF_MS * 2 ** (attempts - 1);
    this.#log.error(
      { error: describeError(error), task: task.taskId, attempt: attempts, of: limit, pauseMs },
      `commit failed on an error retrying cannot fix (attempt ${attempts} of ${limit}); the task pauses, then restarts from its last commit`,
    );
    return pauseMs;
  }
}
