import { rm } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import {
  CheckpointRegressionError,
  StoreArgumentError,
  StoreBusyError,
  StoreClosedError,
  StoreCorruptionError,
  StoreIoError,
  StoreOpenError,
} from './errors.ts';
import { keyText } from './key-bounds.ts';
import { DEFAULT_CACHE_MAX_BYTES, levelDbMemoryShare, type LevelDbMemory } from './memory-budget.ts';
import { ReadCache } from './read-cache.ts';
import { storePath, type StoreLocation } from './store-names.ts';

// Layout of one LevelDB database (one store of one task):
//   0x00 <name>     metadata: 'format' (layout version) and 'checkpoint' (decimal changelog offset)
//   0x01 <user key> the store's entries; user keys are exactly the keys on the changelog
const USER_PREFIX = 0x01;
const USER_START = Buffer.from([USER_PREFIX]);
const USER_END = Buffer.from([USER_PREFIX + 1]);
const FORMAT_KEY = Buffer.from('\x00format', 'latin1');
const CHECKPOINT_KEY = Buffer.from('\x00checkpoint', 'latin1');
const FORMAT_VERSION = '1';
const DECIMAL = /^\d+$/;

// Entries fetched per native call while iterating; bounded in bytes as well by highWaterMarkBytes.
const ITERATOR_CHUNK = 256;
const ITERATOR_HIGH_WATER_BYTES = 256 * 1024;

/**
 * Changelog durability is Kafka's job, so writes skip fsync. What local state needs is that its
 * checkpoint is never ahead of the entries it covers, and that holds without fsync: every batch
 * carries its entries and its checkpoint together, LevelDB applies a batch atomically, and after
 * a crash its log recovers a prefix of the batches. A process kill loses nothing already written
 * to the OS; a machine crash may lose the last batches, together with their checkpoint, which
 * the changelog then replays.
 */
const WRITE_OPTIONS = { sync: false } as const;

export interface StoreEngineOptions {
  /** Bound of the store's read cache (see ReadCache); 0 disables it. */
  readonly cacheMaxBytes?: number;
  /** LevelDB's block cache and memtable sizes (default: a whole task's budget, for one store). */
  readonly levelDb?: LevelDbMemory;
}

/** What a write batch does to the read cache besides keeping it consistent. */
export interface WriteBatchOptions {
  /**
   * Also cache the written entries (write-through), for writes that are likely read again: a
   * task's commits. Restores leave it off, so that a bulk load does not flood the cache; the
   * entries it writes are dropped from the cache instead.
   */
  readonly cacheWrites?: boolean;
}

/** A put (value is bytes) or a delete (value is null) of one user key. */
export interface StoreWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
  /** keyText(key), when the writer has it at hand: saves recomputing it for the read cache. */
  readonly keyText?: string;
  /**
   * A write of local state only, never sent to the changelog: an index that restoration derives
   * from the logged entries again (the expiry index of TTL stores).
   */
  readonly localOnly?: boolean;
}

/** Bounds over user keys, in byte order: `gte` inclusive, `lt` exclusive; both optional. */
export interface KeyRange {
  readonly gte?: Buffer;
  readonly lt?: Buffer;
  readonly reverse?: boolean;
  readonly limit?: number;
}

function userKey(key: Buffer): Buffer {
  const prefixed = Buffer.allocUnsafe(key.length + 1);
  prefixed[0] = USER_PREFIX;
  key.copy(prefixed, 1);
  return prefixed;
}

function checkedCacheSize(maxBytes: number, context: { storeName: string; taskId: string }): number {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new StoreArgumentError(
      `read cache size ${maxBytes} is not a whole, non-negative number of bytes`,
      context,
    );
  }
  return maxBytes;
}

function levelErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    const code: unknown = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'LEVEL_DATABASE_NOT_OPEN') return code;
  }
  return undefined;
}

/** One LevelDB database holding one store of one task, with the changelog checkpoint it covers. */
export class StoreEngine {
  readonly storeName: string;
  readonly taskId: string;
  readonly path: string;
  private db: ClassicLevel<Buffer, Buffer> | undefined;
  private checkpoint: bigint | undefined;
  private writeInFlight = false;
  // Mirrors LevelDB's user entries for hot keys; only this class writes LevelDB, and every write
  // updates or drops the cached entries it touches (see writeBatch, wipe, close).
  private readonly cache: ReadCache;
  /** LevelDB's block cache and memtable sizes this store was opened with. */
  readonly levelDb: LevelDbMemory;

  private constructor(location: StoreLocation, options: StoreEngineOptions) {
    this.path = storePath(location);
    this.storeName = location.storeName;
    this.taskId = location.taskId;
    this.levelDb = options.levelDb ?? levelDbMemoryShare(1);
    this.cache = new ReadCache(
      checkedCacheSize(options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES, this.context),
    );
  }

  /** Opens (creating directories as needed) the store's database. */
  static async open(location: StoreLocation, options: StoreEngineOptions = {}): Promise<StoreEngine> {
    const engine = new StoreEngine(location, options);
    await engine.openDatabase();
    return engine;
  }

  /** Removes a store's files without opening it, e.g. when they are too damaged to open. */
  static async destroy(location: StoreLocation): Promise<void> {
    await rm(storePath(location), { recursive: true, force: true });
  }

  get isOpen(): boolean {
    return this.db !== undefined;
  }

  /** The key's value in LevelDB, from the read cache when it holds the key. A new Buffer each call. */
  getSync(key: Buffer): Buffer | undefined {
    return this.read(key, keyText(key));
  }

  /** getSync() for callers that already hold the key's keyText() (the transaction's map key). */
  read(key: Buffer, text: string): Buffer | undefined {
    const db = this.requireOpen('getSync');
    // Without a cache (the product's stores), nothing to look up and no copy to keep of each value.
    const cache = this.cache.maxBytes > 0 ? this.cache : undefined;
    const cached = cache?.lookup(text);
    if (cached !== undefined) return cached === null ? undefined : Buffer.from(cached, 'latin1');
    let value: Buffer | undefined;
    try {
      value = db.getSync(userKey(key));
    } catch (error) {
      throw this.ioError('getSync', error);
    }
    cache?.store(text, value === undefined ? null : value.toString('latin1'));
    return value;
  }

  /** The read cache's bound, size and counters. */
  get cacheStats(): {
    maxBytes: number;
    bytes: number;
    entries: number;
    hits: number;
    misses: number;
  } {
    const cache = this.cache;
    return {
      maxBytes: cache.maxBytes,
      bytes: cache.bytes,
      entries: cache.size,
      hits: cache.hits,
      misses: cache.misses,
    };
  }

  /** Changes the read cache's bound (0 disables it), evicting entries to fit. */
  resizeCache(maxBytes: number): void {
    this.cache.resize(checkedCacheSize(maxBytes, this.context));
  }

  /** The next changelog offset to restore from; undefined when the store has never been written. */
  readCheckpoint(): bigint | undefined {
    this.requireOpen('readCheckpoint');
    return this.checkpoint;
  }

  /**
   * Applies puts, deletes and the new checkpoint in one atomic LevelDB batch, then brings the
   * read cache in step: the written keys get their new values (cacheWrites) or are dropped.
   */
  async writeBatch(
    writes: readonly StoreWrite[],
    checkpoint: bigint,
    options: WriteBatchOptions = {},
  ): Promise<void> {
    const db = this.requireOpen('writeBatch');
    if (this.writeInFlight) {
      throw new StoreBusyError('writeBatch() while another write batch is in flight', this.context);
    }
    if (checkpoint < 0n) throw new StoreArgumentError(`checkpoint ${checkpoint} is negative`, this.context);
    if (this.checkpoint !== undefined && checkpoint < this.checkpoint) {
      throw new CheckpointRegressionError(this.checkpoint, checkpoint, this.context);
    }
    // A chained batch: one native call per operation costs a third of what an array of operation
    // objects does (the native side reads each object's properties one by one). Still atomic: the
    // operations reach LevelDB together, in write().
    const batch = db.batch();
    try {
      for (const write of writes) {
        if (write.value === null) batch.del(userKey(write.key));
        else batch.put(userKey(write.key), write.value);
      }
      batch.put(CHECKPOINT_KEY, Buffer.from(checkpoint.toString(), 'latin1'));
    } catch (error) {
      await batch.close().catch(() => undefined);
      throw this.ioError('writeBatch', error);
    }
    this.writeInFlight = true;
    try {
      // write() closes the batch, whether it succeeds or fails.
      await batch.write(WRITE_OPTIONS);
    } catch (error) {
      // Whatever LevelDB holds now, the cache must not answer for it.
      this.cache.clear();
      throw this.ioError('writeBatch', error);
    } finally {
      this.writeInFlight = false;
    }
    this.checkpoint = checkpoint;
    this.cacheWritten(writes, options.cacheWrites ?? false);
  }

  /**
   * User entries in key order (reverse: descending). The LevelDB snapshot is taken on the first
   * `next()`; breaking out of the loop releases the iterator.
   */
  async *iterate(range: KeyRange = {}): AsyncGenerator<[Buffer, Buffer]> {
    const db = this.requireOpen('iterate');
    const iterator = db.iterator({
      gte: range.gte === undefined ? USER_START : userKey(range.gte),
      lt: range.lt === undefined ? USER_END : userKey(range.lt),
      reverse: range.reverse ?? false,
      limit: range.limit ?? -1,
      highWaterMarkBytes: ITERATOR_HIGH_WATER_BYTES,
    });
    try {
      for (;;) {
        let entries: Array<[Buffer, Buffer]>;
        try {
          entries = await iterator.nextv(ITERATOR_CHUNK);
        } catch (error) {
          throw this.ioError('iterate', error);
        }
        if (entries.length === 0) return;
        for (const [key, value] of entries) yield [key.subarray(1), value];
      }
    } finally {
      await iterator.close().catch(() => undefined);
    }
  }

  /** Approximate bytes on disk of the user entries (recent writes may not be counted yet). */
  async approximateSize(): Promise<number> {
    const db = this.requireOpen('approximateSize');
    try {
      return await db.approximateSize(USER_START, USER_END);
    } catch (error) {
      throw this.ioError('approximateSize', error);
    }
  }

  /**
   * Deletes all local state, checkpoint included, and reopens empty. Only for state that is
   * unusable: the caller must restore from the changelog's beginning before using the store, and
   * must not flush writes that were buffered against the old state (StateManager.wipe aborts them).
   */
  async wipe(): Promise<void> {
    this.requireOpen('wipe');
    if (this.writeInFlight) throw new StoreBusyError('wipe() while a write batch is in flight', this.context);
    await this.close();
    await rm(this.path, { recursive: true, force: true });
    await this.openDatabase();
  }

  /** Closes the database; later calls other than close() throw StoreClosedError. */
  async close(): Promise<void> {
    const db = this.db;
    if (db === undefined) return;
    this.db = undefined;
    this.checkpoint = undefined;
    // A wipe reopens the same path empty; nothing cached may outlive the database it came from.
    this.cache.clear();
    try {
      await db.close();
    } catch (error) {
      throw this.ioError('close', error);
    }
  }

  // Reads are synchronous and this runs as soon as the batch is applied, so no read between the
  // batch and this update sees the cache disagree with LevelDB.
  private cacheWritten(writes: readonly StoreWrite[], cacheWrites: boolean): void {
    const cache = this.cache;
    if (cache.maxBytes === 0 || (!cacheWrites && cache.size === 0)) return;
    for (const write of writes) {
      const text = write.keyText ?? keyText(write.key);
      // Local-only writes are derived indexes, scanned but never read by key: not worth caching.
      if (cacheWrites && write.localOnly !== true) {
        cache.store(text, write.value === null ? null : write.value.toString('latin1'));
      } else cache.forget(text);
    }
  }

  private get context(): { storeName: string; taskId: string } {
    return { storeName: this.storeName, taskId: this.taskId };
  }

  private async openDatabase(): Promise<void> {
    const db = new ClassicLevel<Buffer, Buffer>(this.path, {
      keyEncoding: 'buffer',
      valueEncoding: 'buffer',
      createIfMissing: true,
      cacheSize: this.levelDb.blockCacheBytes,
      writeBufferSize: this.levelDb.writeBufferBytes,
    });
    try {
      await db.open();
    } catch (error) {
      const code = levelErrorCode(error);
      const context = { ...this.context, path: this.path, cause: error };
      if (code === 'LEVEL_CORRUPTION') throw new StoreCorruptionError('LevelDB reports corruption', context);
      // Another instance (in this process or another) still holds the lock, e.g. mid-rebalance.
      const retriable = code === 'LEVEL_LOCKED';
      throw new StoreOpenError(`cannot open LevelDB (${code ?? 'unknown cause'})`, { ...context, retriable });
    }
    try {
      await this.checkFormat(db);
      this.checkpoint = this.loadCheckpoint(db);
    } catch (error) {
      await db.close().catch(() => undefined);
      throw error;
    }
    this.db = db;
  }

  private async checkFormat(db: ClassicLevel<Buffer, Buffer>): Promise<void> {
    const format = db.getSync(FORMAT_KEY)?.toString('latin1');
    if (format === FORMAT_VERSION) return;
    if (format === undefined) {
      const anyKey = await db.keys({ limit: 1 }).all();
      if (anyKey.length === 0) {
        await db.put(FORMAT_KEY, Buffer.from(FORMAT_VERSION, 'latin1'), WRITE_OPTIONS);
        return;
      }
    }
    throw new StoreCorruptionError(
      `unknown store layout '${format ?? 'none'}' (expected '${FORMAT_VERSION}')`,
      {
        ...this.context,
        path: this.path,
      },
    );
  }

  private loadCheckpoint(db: ClassicLevel<Buffer, Buffer>): bigint | undefined {
    const text = db.getSync(CHECKPOINT_KEY)?.toString('latin1');
    if (text === undefined) return undefined;
    if (!DECIMAL.test(text)) {
      throw new StoreCorruptionError(`checkpoint '${text}' is not a decimal offset`, {
        ...this.context,
        path: this.path,
      });
    }
    return BigInt(text);
  }

  private requireOpen(operation: string): ClassicLevel<Buffer, Buffer> {
    if (this.db === undefined) throw new StoreClosedError(operation, this.context);
    return this.db;
  }

  private ioError(operation: string, cause: unknown): StoreIoError {
    return new StoreIoError(operation, { ...this.context, path: this.path, cause });
  }
}
