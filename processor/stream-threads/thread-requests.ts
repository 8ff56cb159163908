/**
 * Requests to one stream thread awaiting its answer, by request id: metrics, a query's read, its
 * readiness. Each settles with the thread's answer, or with its fallback when the thread does not
 * answer in time or ends first: a caller never waits on a thread that cannot answer.
 */
export class ThreadRequests {
  #nextId = 0;
  readonly #pending = new Map<number, { settle: (answer: unknown) => void; fallback: unknown }>();
  #ended = false;

  /**
   * Sends a request (`send` posts it with its id) and resolves with the answer, or with `fallback`
   * after `timeoutMs` (`onTimeout` is told) or once the thread has ended.
   */
  ask<T>(
    send: (requestId: number) => void,
    opts: { timeoutMs: number; fallback: T; onTimeout: () => void },
  ): Promise<T> {
    if (this.#ended) return Promise.resolve(opts.fallback);
    const requestId = this.#nextId++;
    return new Promise<T>((resolve) => {
      const settle = (answer: unknown) => {
        clearTimeout(timeout);
        this.#pending.delete(requestId);
        resolve(answer as T);
      };
      const timeout = setTimeout(() => {
        opts.onTimeout();
        settle(opts.fallback);
      }, opts.timeoutMs);
      timeout.unref();
      this.#pending.set(requestId, { settle, fallback: opts.fallback });
      send(requestId);
    });
  }

  /** The thread's answer to request `requestId` (ignored if it has settled already). */
  answer(requestId: number, answer: unknown): void {
    this.#pending.get(requestId)?.settle(answer);
  }

  /** The thread has ended: every request waiting settles with its fallback, later ones at once. */
  end(): void {
    this.#ended = true;
    for (const { settle, fallback } of [...this.#pending.values()]) settle(fallback);
  }
}
