import type { Counter, Histogram } from 'prom-client';

/** One output in E2E_SAMPLE_EVERY (per task and topic) has its end-to-end latency observed. */
export const E2E_SAMPLE_EVERY = 32;
const SAMPLE_MASK = E2E_SAMPLE_EVERY - 1;

/**
 * What one task produced to one output topic since its last commit: a count, and the event times
 * of the sampled outputs. Plain numbers on the hot path; prom-client sees them once per commit.
 */
export class TopicTally {
  readonly topic: string;
  uncommitted = 0;
  #seq = 0;
  readonly #sampledEventTimes: number[] = [];
  readonly #produced: Counter.Internal;
  readonly #endToEnd: Histogram.Internal<'topic'>;

  constructor(topic: string, produced: Counter<'topic'>, endToEnd: Histogram<'topic'>) {
    this.topic = topic;
    this.#produced = produced.labels({ topic });
    this.#endToEnd = endToEnd.labels({ topic });
  }

  /** One output with this event time was added (the first of each E2E_SAMPLE_EVERY is sampled). */
  added(eventTime: number): void {
    this.uncommitted++;
    if ((this.#seq++ & SAMPLE_MASK) === 0) this.#sampledEventTimes.push(eventTime);
  }

  /**
   * The outputs were committed at `nowMs`: counted, and each sample's latency from its event time
   * observed (an event time ahead of the clock counts as 0).
   */
  committed(nowMs: number): void {
    if (this.uncommitted > 0) this.#produced.inc(this.uncommitted);
    for (const eventTime of this.#sampledEventTimes)
      this.#endToEnd.observe(Math.max(0, nowMs - eventTime) / 1000);
    this.cleared();
  }

  /** The outputs were dropped (a failed commit) or reported. */
  cleared(): void {
    this.uncommitted = 0;
    this.#sampledEventTimes.length = 0;
  }
}
