import { StoreArgumentError } from './errors.ts';
import type { StoreEngine, StoreWrite } from './store-engine.ts';

/** One changelog record: the store's user key, its value or null (a tombstone), and its offset. */
export interface ChangelogEntry {
  readonly key: Buffer;
  readonly value: Buffer | null;
  readonly offset: bigint;
}

export interface StoreRestorerOptions {
  /** Records per LevelDB batch; defaults to 10,000. */
  readonly batchSize?: number;
  /**
   * Local state a changelog record implies besides itself (a TTL store's expiry index, which is
   * never logged), written in the same batch.
   */
  readonly derive?: (key: Buffer, value: Buffer | null) => StoreWrite | undefined;
}

const DEFAULT_BATCH_SIZE = 10_000;

/**
 * Applies changelog records to one store during restoration, in LevelDB batches. Each batch also
 * sets the checkpoint to the last applied offset + 1, so an interrupted restore resumes where its
 * last batch ended. Restore before processing: this writes to the store directly, not through
 * the task transaction.
 */
export class StoreRestorer {
  private readonly engine: StoreEngine;
  private readonly batchSize: number;
  private readonly derive: StoreRestorerOptions['derive'];
  private pendingWrites: StoreWrite[] = [];
  private lastOffset: bigint | undefined;
  private restoredCount = 0;
  /** The checkpoint moved past offsets that held no record (transaction markers) since the last write. */
  private advanced = false;

  constructor(engine: StoreEngine, options: StoreRestorerOptions = {}) {
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new StoreArgumentError(`batch size ${batchSize} is not a positive integer`, {
        storeName: engine.storeName,
        taskId: engine.taskId,
      });
    }
    this.engine = engine;
    this.batchSize = batchSize;
    this.derive = options.derive;
  }

  /** Writes (changelog records and what they imply) written to LevelDB so far. */
  get restored(): number {
    return this.restoredCount;
  }

  /** Records added but not yet written. */
  get pending(): number {
    return this.pendingWrites.length;
  }

  /** Queues a record; offsets must increase and start at or after the store's checkpoint. */
  add(record: ChangelogEntry): void {
    const previous = this.lastOffset ?? (this.engine.readCheckpoint() ?? 0n) - 1n;
    if (record.offset <= previous) {
      throw new StoreArgumentError(
        `changelog offset ${record.offset} is not after ${previous} (already applied, or out of order)`,
        { storeName: this.engine.storeName, taskId: this.engine.taskId },
      );
    }
    this.pendingWrites.push({ key: record.key, value: record.value });
    const derived = this.derive?.(record.key, record.value);
    if (derived !== undefined) this.pendingWrites.push(derived);
    this.lastOffset = record.offset;
  }

  /**
   * Every offset below `nextOffset` has been read: those without a record (transaction markers,
   * aborted records) move the checkpoint too, so that a restore from it later has nothing to read.
   */
  advanceTo(nextOffset: bigint): void {
    const previous = this.lastOffset ?? (this.engine.readCheckpoint() ?? 0n) - 1n;
    if (nextOffset - 1n <= previous) return;
    this.lastOffset = nextOffset - 1n;
    this.advanced = true;
  }

  /** Writes the queued records once a full batch is queued. */
  async flushIfFull(): Promise<void> {
    if (this.pendingWrites.length >= this.batchSize) await this.writePending();
  }

  /** Writes whatever is queued. */
  async finish(): Promise<void> {
    if (this.pendingWrites.length > 0 || this.advanced) await this.writePending();
  }

  private async writePending(): Promise<void> {
    const writes = this.pendingWrites;
    await this.engine.writeBatch(writes, (this.lastOffset as bigint) + 1n);
    // Cleared only once written: after a failed write the same records can be written again.
    this.pendingWrites = [];
    this.advanced = false;
    this.restoredCount += writes.length;
  }
}
