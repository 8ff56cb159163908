import type { AdminClient, ChangelogFollower, ChangelogReader, FollowedBatch } from './client.ts';
import type { ConsumedRecord, TopicPartition } from '../records.ts';
import { tpKey } from '../records.ts';

/**
 * A changelog follower over any adapter's changelog reader: every `intervalMs` it reads what each
 * partition gained since its last read. Each read is a consumer of its own, so this suits the
 * worker adapter's few standbys, not a busy instance; the kafkajs adapter keeps one consumer open.
 */
export class PollingChangelogFollower implements ChangelogFollower {
  readonly #admin: AdminClient;
  readonly #reader: ChangelogReader;
  readonly #intervalMs: number;
  readonly #onBatch: (batch: FollowedBatch) => Promise<void>;
  #next = new Map<string, TopicPartition & { from: number }>();
  #timer: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;

  constructor(
    admin: AdminClient,
    reader: ChangelogReader,
    intervalMs: number,
    onBatch: (batch: FollowedBatch) => Promise<void>,
  ) {
    this.#admin = admin;
    this.#reader = reader;
    this.#intervalMs = intervalMs;
    this.#onBatch = onBatch;
  }

  async follow(starts: ReadonlyArray<TopicPartition & { from: number }>): Promise<void> {
    await this.stop();
    this.#next = new Map(starts.map((s) => [tpKey(s), { ...s }]));
    if (starts.length > 0) this.#schedule();
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#polling = this.#poll().finally(() => {
        this.#polling = undefined;
        if (this.#timer !== undefined) this.#schedule();
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const partitions = [...this.#next.values()];
    const ranges = await this.#admin.offsetRange(partitions).catch(() => undefined);
    if (!ranges) return;
    const reads = partitions
      .map((p) => ({ ...p, to: ranges.get(tpKey(p))?.end ?? p.from }))
      .filter((r) => r.to > r.from);
    if (reads.length === 0) return;
    const onRecords = async (records: ConsumedRecord[]) => {
      const first = records[0];
      const last = records[records.length - 1];
      if (first && last) {
        await this.#onBatch({
          topic: first.topic,
          partition: first.partition,
          records,
          nextOffset: last.offset + 1,
        });
      }
    };
    await this.#reader
      .read(reads, onRecords, { heartbeat: async () => undefined })
      .then(async () => {
        // Each range was read whole, its markers too.
        for (const r of reads) {
          const next = this.#next.get(tpKey(r));
          if (next) next.from = r.to;
          await this.#onBatch({ topic: r.topic, partition: r.partition, records: [], nextOffset: r.to });
        }
      })
      .catch(() => undefined);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }
}
