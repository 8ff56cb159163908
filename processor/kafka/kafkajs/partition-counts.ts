/** A topic to produce to does not exist. */
export class UnknownTopicError extends Error {
  readonly topic: string;

  constructor(topic: string) {
    super(`cannot produce to ${topic}: the topic does not exist`);
    this.name = 'UnknownTopicError';
    this.topic = topic;
  }
}

/**
 * Partition counts of the topics the commit units produce to, shared by all units of an adapter:
 * RecordBatches needs a topic's count to place keyed records as they are added. Counts older
 * than `maxAgeMs` are fetched again before a commit sends, as kafkajs refreshes its metadata
 * (metadataMaxAge, 5 minutes), so that a topic that gained partitions is seen within as long.
 */
export class PartitionCounts {
  /** The last known count of each topic; RecordBatches reads it for topics it has not seen. */
  readonly known = new Map<string, number>();
  readonly #fetchedAt = new Map<string, number>();
  // Fetches under way, per topic.
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #fetch: (topics: string[]) => Promise<Map<string, number | undefined>>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(
    fetch: (topics: string[]) => Promise<Map<string, number | undefined>>,
    opts: { maxAgeMs?: number; now?: () => number } = {},
  ) {
    this.#fetch = fetch;
    this.#maxAgeMs = opts.maxAgeMs ?? 300_000;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Makes these topics' counts stale, so that the next commit checks them first: after a failed
   * send, a topic may have been deleted or recreated with another count.
   */
  invalidate(topics: Iterable<string>): void {
    for (const topic of topics) if (this.#fetchedAt.has(topic)) this.#fetchedAt.set(topic, -Infinity);
  }

  /** Known topics whose count is older than the maximum age. */
  stale(): string[] {
    const oldest = this.#now() - this.#maxAgeMs;
    return [...this.#fetchedAt].filter(([, at]) => at <= oldest).map(([topic]) => topic);
  }

  /**
   * Fetches the counts of these topics; throws UnknownTopicError for one that does not exist.
   * A topic already being fetched is not fetched again: the commits of several tasks, which come
   * together, share one request.
   */
  async refresh(topics: readonly string[]): Promise<void> {
    const wanted = [...new Set(topics)];
    const toFetch = wanted.filter((topic) => !this.#inFlight.has(topic));
    if (toFetch.length > 0) {
      const fetching: Promise<void> = this.#fetchCounts(toFetch).finally(() => {
        for (const topic of toFetch) if (this.#inFlight.get(topic) === fetching) this.#inFlight.delete(topic);
      });
      for (const topic of toFetch) this.#inFlight.set(topic, fetching);
    }
    await Promise.all(wanted.map((topic) => this.#inFlight.get(topic)));
  }

  async #fetchCounts(topics: string[]): Promise<void> {
    const counts = await this.#fetch(topics);
    const at = this.#now();
    for (const topic of topics) {
      const count = counts.get(topic);
      if (count === undefined) throw new UnknownTopicError(topic);
      this.known.set(topic, count);
      this.#fetchedAt.set(topic, at);
    }
  }
}
