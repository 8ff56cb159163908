import type { AdminClient, ConsumedBatch } from './kafka/client.ts';
import type { TopicPartition } from './records.ts';
import { tpKey } from './records.ts';
import type { Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';

/**
 * The task manager's seeks that no batch has answered yet. After a seek, only a batch fetched at
 * or before the seek target is taken. One fetched from beyond it would skip records: it is
 * dropped, unless retention deleted the target (the consumer then restarts from the log start,
 * and nothing below it can be fetched any more). One fetched at or before it is safe (records
 * below the task's next offset are skipped).
 */
export class AwaitedFetches {
  readonly #admin: AdminClient;
  readonly #metrics: EngineMetrics;
  readonly #log: Logger;
  /** Per input partition (tpKey()), the offset the consumer was sought to. */
  readonly #awaited = new Map<string, number>();

  constructor(deps: { admin: AdminClient; metrics: EngineMetrics; log: Logger }) {
    this.#admin = deps.admin;
    this.#metrics = deps.metrics;
    this.#log = deps.log;
  }

  /** The consumer was sought to `offset` of `tp`: batches fetched from beyond it are stale. */
  seek(tp: TopicPartition, offset: number): void {
    this.#awaited.set(tpKey(tp), offset);
  }

  /** Whether to take the batch. Synchronous, and free, when no seek is awaited: the case of nearly every batch. */
  accepts(batch: ConsumedBatch): boolean | Promise<boolean> {
    const key = tpKey(batch);
    const awaited = this.#awaited.get(key);
    if (awaited === undefined) return true;
    if (batch.fetchedOffset > awaited) return this.#wasDeletedBelow(batch, awaited);
    this.#awaited.delete(key);
    return true;
  }

  /**
   * Whether `batch` comes from the log start after retention deleted the records from `awaited`
   * on; if so the seek is over, and the loss is logged and counted (Kafka Streams' reset to the
   * earliest offset). A dropped batch is fetched again, so a check fails only this once.
   */
  async #wasDeletedBelow(batch: ConsumedBatch, awaited: number): Promise<boolean> {
    const key = tpKey(batch);
    const tp = { topic: batch.topic, partition: batch.partition };
    const logStart = (await this.#admin.offsetRange([tp])).get(key)?.start;
    if (logStart === undefined || logStart <= awaited || batch.fetchedOffset > logStart) return false;
    if (this.#awaited.get(key) !== awaited) return false; // another seek came meanwhile
    this.#awaited.delete(key);
    const lost = logStart - awaited;
    this.#metrics.inputRecordsLostToRetention.inc({ topic: batch.topic }, lost);
    this.#log.error(
      { topic: batch.topic, partition: batch.partition, from: awaited, logStart, lost },
      'input records were deleted by retention before they were processed; going on from the log start',
    );
    return true;
  }
}
