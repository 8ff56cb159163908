/**
 * Partition counts of the topics the commit units produce to, shared by all units of an adapter:
 * RecordBatches needs a topic's count to place keyed records as they are added. Counts older
 * than `maxAgeMs` are fetched again before a commit sends, as kafkajs refreshes its metadata
 * (metadataMaxAge, 5 minutes), so that a topic that gained partitions is seen within as long.
 */
export class UnknownTopicError extends Error {
  readonly topic: string;

  constructor(topic: string) {
    super(`cannot produce to ${topic}: the topic does not exist`);
    this.name = 'UnknownTopicError';
    this.topic = topic;
  }
}

export class PartitionCounts {
  /** The last known count of each topic; RecordBatches reads it for topics it has not seen. */
  readonly known = new Map<string, number>();
  readonly #fetchedAt = new Map<string, number>();
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

  /** Known topics whose count is older than the maximum age. */
  stale(): string[] {
    const oldest = this.#now() - this.#maxAgeMs;
    return [...this.#fetchedAt].filter(([, at]) => at <= oldest).map(([topic]) => topic);
  }

  /** Fetches the counts of these topics; throws UnknownTopicError for one that does not exist. */
  async refresh(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const counts = await this.#fetch([...new Set(topics)]);
    const at = this.#now();
    for (const topic of topics) {
      const count = counts.get(topic);
      if (count === undefined) throw new UnknownTopicError(topic);
      this.known.set(topic, count);
      this.#fetchedAt.set(topic, at);
    }
  }
}
