import {
  StoreArgumentError,
  TransactionFlushError,
  TransactionStateError,
  UnknownStoreError,
} from './errors.ts';
import { keyText } from './key-bounds.ts';
import { mergeWithBuffered } from './merged-scan.ts';
import type { KeyRange, StoreEngine, StoreWrite } from './store-engine.ts';
import { UndoJournal } from './undo-journal.ts';
import { WriteBuffer } from './write-buffer.ts';

/**
 * Life cycle of a task's transaction (it is reused: every flush or abort opens it again):
 *
 *   open --changelogRecords()--> prepared --flush()--> flushing --ok--> open
 *                                                               --error--> failed
 *   open, prepared --abort()--> open
 *   any status but flushing --close()--> closed
 *
 * Reads are allowed while open or prepared; writes and records only while open, so nothing can
 * change between handing the changelog records to Kafka and flushing them to LevelDB.
 */
export type TransactionStatus = 'open' | 'prepared' | 'flushing' | 'failed' | 'closed';

/** What goes to the store's changelog topic: the key's last value, or null (a tombstone). */
export interface ChangelogRecord {
  readonly store: string;
  readonly key: Buffer;
  readonly value: Buffer | null;
}

const READABLE: readonly TransactionStatus[] = ['open', 'prepared'];
const WRITABLE: readonly TransactionStatus[] = ['open'];
const ABORTABLE: readonly TransactionStatus[] = ['open', 'prepared'];
const TASK_WIDE = '*';

/** Status and undo journal, shared by the task transaction and its per-store views. */
class TransactionGate {
  readonly taskId: string;
  status: TransactionStatus = 'open';
  // True while a record is being processed (between beginRecord and commit/rollback).
  inRecord = false;
  readonly journal = new UndoJournal();

  constructor(taskId: string) {
    this.taskId = taskId;
  }

  require(operation: string, allowed: readonly TransactionStatus[], storeName: string): void {
    if (allowed.includes(this.status)) return;
    const detail =
      this.status === 'prepared'
        ? 'writes are frozen between changelogRecords() and flush()/abort()'
        : `needs status ${allowed.map((status) => `'${status}'`).join(' or ')}`;
    throw new TransactionStateError(operation, this.status, detail, { storeName, taskId: this.taskId });
  }
}

/**
 * One store's slice of the task transaction: reads its own buffered writes, then LevelDB.
 * Keys and values passed in are kept as they are until flush: do not mutate them afterwards.
 */
export class StoreTransaction {
  readonly storeName: string;
  private readonly engine: StoreEngine;
  private readonly gate: TransactionGate;
  private readonly buffer: WriteBuffer;

  constructor(engine: StoreEngine, buffer: WriteBuffer, gate: TransactionGate) {
    this.storeName = engine.storeName;
    this.engine = engine;
    this.buffer = buffer;
    this.gate = gate;
  }

  // `text` in get, put and delete: keyText(key), for callers that already have it.

  get(key: Buffer, text: string = keyText(key)): Buffer | undefined {
    this.gate.require('get', READABLE, this.storeName);
    const pending = this.buffer.lookup(text);
    if (pending !== undefined) return pending.value ?? undefined;
    return this.engine.read(key, text);
  }

  put(key: Buffer, value: Buffer, text: string = keyText(key)): void {
    this.write('put', key, value, text);
  }

  delete(key: Buffer, text: string = keyText(key)): void {
    this.write('delete', key, null, text);
  }

  /** A put that reaches LevelDB with the next flush but not the changelog (a derived index). */
  putLocal(key: Buffer, value: Buffer, text: string = keyText(key)): void {
    this.write('putLocal', key, value, text, true);
  }

  /** A delete that reaches LevelDB with the next flush but not the changelog. */
  deleteLocal(key: Buffer, text: string = keyText(key)): void {
    this.write('deleteLocal', key, null, text, true);
  }

  /**
   * Entries of the store as this transaction sees them, in key order. Buffered writes are taken
   * as of the first `next()`, so writes made while iterating do not show up in the iteration.
   */
  async *iterate(range: KeyRange = {}): AsyncGenerator<[Buffer, Buffer]> {
    this.gate.require('iterate', READABLE, this.storeName);
    const reverse = range.reverse ?? false;
    const limit = range.limit === undefined || range.limit < 0 ? Infinity : range.limit;
    const buffered = this.buffer.range(range.gte, range.lt, reverse);
    // Each buffered write overrides at most one disk entry, so this many disk entries suffice.
    const diskLimit = limit === Infinity ? undefined : limit + buffered.length;
    const disk = this.engine.iterate({ gte: range.gte, lt: range.lt, reverse, limit: diskLimit });
    yield* mergeWithBuffered(disk, buffered, reverse, limit);
  }

  /** Registers how to undo an in-memory change if the current record rolls back (no-op outside a record). */
  onRecordRollback(undo: () => void): void {
    if (this.gate.inRecord) this.gate.journal.recordCallback(undo);
  }

  get bufferedWrites(): number {
    return this.buffer.size;
  }

  get bufferedBytes(): number {
    return this.buffer.bytes;
  }

  private write(
    operation: string,
    key: Buffer,
    value: Buffer | null,
    mapKey: string,
    localOnly = false,
  ): void {
    this.gate.require(operation, WRITABLE, this.storeName);
    const write: StoreWrite = localOnly
      ? { key, value, keyText: mapKey, localOnly }
      : { key, value, keyText: mapKey };
    const previous = this.buffer.set(mapKey, write);
    if (this.gate.inRecord) this.gate.journal.recordWrite(this.buffer, mapKey, previous);
  }
}

function hasLoggedWrites(buffer: WriteBuffer): boolean {
  for (const write of buffer.values()) if (write.localOnly !== true) return true;
  return false;
}

// What the task transaction holds per store; the view is what callers get from store().
interface StoreSlot {
  readonly engine: StoreEngine;
  readonly buffer: WriteBuffer;
  readonly view: StoreTransaction;
}

/**
 * The write buffer of one task for one Kafka transaction. Writes stay in memory and reach
 * LevelDB only in flush(), after the Kafka commit succeeded, together with each store's new
 * changelog checkpoint; so local state is never ahead of Kafka and a crash never forces a wipe.
 */
export class TaskTransaction {
  readonly taskId: string;
  private readonly gate: TransactionGate;
  private readonly slots = new Map<string, StoreSlot>();

  constructor(taskId: string, engines: Iterable<StoreEngine>) {
    this.taskId = taskId;
    this.gate = new TransactionGate(taskId);
    for (const engine of engines) {
      const buffer = new WriteBuffer();
      this.slots.set(engine.storeName, {
        engine,
        buffer,
        view: new StoreTransaction(engine, buffer, this.gate),
      });
    }
  }

  get status(): TransactionStatus {
    return this.gate.status;
  }

  /** True between beginRecord() and commitRecord()/rollbackRecord(). */
  get inRecord(): boolean {
    return this.gate.inRecord;
  }

  /** Distinct keys buffered across all stores. */
  get bufferedWrites(): number {
    let count = 0;
    for (const slot of this.slots.values()) count += slot.buffer.size;
    return count;
  }

  /** Bytes of buffered keys and values across all stores; commit early when this grows large. */
  get bufferedBytes(): number {
    let bytes = 0;
    for (const slot of this.slots.values()) bytes += slot.buffer.bytes;
    return bytes;
  }

  store(name: string): StoreTransaction {
    return this.slot(name).view;
  }

  /** Starts a savepoint: everything written until rollbackRecord() can be undone. */
  beginRecord(): void {
    this.gate.require('beginRecord', WRITABLE, TASK_WIDE);
    if (this.gate.inRecord) {
      this.stateError('beginRecord', 'the previous record was not committed or rolled back');
    }
    this.gate.inRecord = true;
  }

  /** Keeps the record's writes in the transaction. */
  commitRecord(): void {
    this.requireRecord('commitRecord');
    this.gate.journal.clear();
    this.gate.inRecord = false;
  }

  /** Undoes every write the current record made, across all stores of the task. */
  rollbackRecord(): void {
    this.requireRecord('rollbackRecord');
    this.gate.journal.undo();
    this.gate.inRecord = false;
  }

  /**
   * The records to send to the changelog topics in this Kafka transaction: one per store and
   * key, with the last value or null for a delete (local-only writes stay out). Freezes writes
   * ('prepared') until flush() or abort(), so that what reaches LevelDB is exactly what went to
   * the changelog.
   */
  changelogRecords(): ChangelogRecord[] {
    this.gate.require('changelogRecords', WRITABLE, TASK_WIDE);
    if (this.gate.inRecord) {
      this.stateError('changelogRecords', 'a record is still being processed');
    }
    const records: ChangelogRecord[] = [];
    for (const [store, slot] of this.slots) {
      for (const write of slot.buffer.values()) {
        if (write.localOnly !== true) records.push({ store, key: write.key, value: write.value });
      }
    }
    this.gate.status = 'prepared';
    return records;
  }

  /**
   * After the Kafka commit succeeded: writes each store's buffered writes and new checkpoint
   * (the next changelog offset to restore from) in one atomic batch per store, then empties the
   * buffers. Every store with buffered writes to its changelog needs a checkpoint (a store with
   * local-only writes keeps its own); stores without writes may get one too. If any store fails
   * the transaction becomes 'failed': each store on disk is still consistent with its own
   * checkpoint, so close the state manager and restore from there.
   */
  async flush(checkpoints: ReadonlyMap<string, bigint>): Promise<void> {
    if (this.gate.status === 'open') {
      this.stateError('flush', 'call changelogRecords() and commit to Kafka first');
    }
    this.gate.require('flush', ['prepared'], TASK_WIDE);
    for (const name of checkpoints.keys()) this.slot(name);
    const toFlush = new Map(checkpoints);
    for (const [name, slot] of this.slots) {
      if (slot.buffer.size === 0 || checkpoints.has(name)) continue;
      // Local-only writes (a derived index) sent nothing to the changelog: the checkpoint stays.
      if (!hasLoggedWrites(slot.buffer)) {
        toFlush.set(name, slot.engine.readCheckpoint() ?? 0n);
        continue;
      }
      throw new StoreArgumentError(
        `${slot.buffer.size} buffered writes but no checkpoint to flush with`,
        this.context(name),
      );
    }

    this.gate.status = 'flushing';
    const flushing: Array<{ name: string; done: Promise<void> }> = [];
    for (const [name, checkpoint] of toFlush) {
      const { engine, buffer } = this.slot(name);
      if (buffer.size === 0 && checkpoint === engine.readCheckpoint()) continue;
      // Write-through: what a task just wrote is what its next records are likely to read.
      flushing.push({
        name,
        done: engine.writeBatch([...buffer.values()], checkpoint, { cacheWrites: true }),
      });
    }
    const results = await Promise.allSettled(flushing.map((entry) => entry.done));
    const reasons = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (reasons.length > 0) {
      this.gate.status = 'failed';
      const failedStores = flushing
        .filter((_entry, index) => results[index]?.status === 'rejected')
        .map((entry) => entry.name);
      throw new TransactionFlushError(failedStores, {
        ...this.context(failedStores.join(',')),
        cause: reasons.length === 1 ? reasons[0] : new AggregateError(reasons),
      });
    }
    this.discardAll();
    this.gate.status = 'open';
  }

  /** Discards every buffered write (the Kafka transaction was aborted or the producer fenced). */
  abort(): void {
    this.gate.require('abort', ABORTABLE, TASK_WIDE);
    this.discardAll();
    this.gate.status = 'open';
  }

  /** Discards buffered writes for good; used by the state manager when it closes. */
  close(): void {
    if (this.gate.status === 'flushing') this.stateError('close', 'wait for flush() to finish');
    this.discardAll();
    this.gate.status = 'closed';
  }

  private slot(name: string): StoreSlot {
    const slot = this.slots.get(name);
    if (slot === undefined) {
      throw new UnknownStoreError(`no store named '${name}' in this task`, this.context(name));
    }
    return slot;
  }

  private discardAll(): void {
    for (const slot of this.slots.values()) slot.buffer.clear();
    this.gate.journal.clear();
    this.gate.inRecord = false;
  }

  private requireRecord(operation: string): void {
    this.gate.require(operation, WRITABLE, TASK_WIDE);
    if (!this.gate.inRecord) this.stateError(operation, 'no record in progress (call beginRecord() first)');
  }

  private stateError(operation: string, detail: string): never {
    throw new TransactionStateError(operation, this.gate.status, detail, this.context(TASK_WIDE));
  }

  private context(storeName: string): { storeName: string; taskId: string } {
    return { storeName, taskId: this.taskId };
  }
}
