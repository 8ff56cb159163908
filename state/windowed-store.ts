import { StoreArgumentError, StoreSerdeError } from './errors.ts';
import type { StoreCodec } from './store-codec.ts';
import type { StoreEngine, StoreWrite } from './store-engine.ts';
import type { StoreTransaction } from './task-transaction.ts';
import {
  WINDOW_INDEX_START,
  isWindowTime,
  parseWindowIndexKey,
  parseWindowKey,
  windowIndexBound,
  windowIndexKey,
  windowKey,
  windowStartOf,
} from './window-key.ts';

/** A window of a windowed store, as fetchAll() hands it out. */
export interface WindowedEntry<K, V> {
  readonly key: K;
  readonly windowStartMs: number;
  readonly value: V;
}

/**
 * A time-bucketed store (velocity and sliding windows): one value per key and window start.
 * Windows older than the stream time minus the retention are expired: get(), fetch() and
 * fetchAll() no longer see them and expire() deletes them. The stream time is the larger of what
 * the store has observed (its puts, observeStreamTime, expire) and the task's stream time, which
 * the task commits with its offsets: after a restart or a move the store expires from it at once.
 *
 * Besides the windows (on the changelog), the store keeps a local-only index of them by window
 * start, which restoration derives again (windowIndexWriteFor): expiry reads only the windows
 * that have expired, never the whole store.
 */
export interface WindowedStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  /** The stream time this store expires by: the larger of its own and the task's; -Infinity before any. */
  readonly observedStreamTimeMs: number;
  /** Stores the value; returns false, storing nothing, when the window has already expired. */
  put(key: K, windowStartMs: number, value: V): boolean;
  get(key: K, windowStartMs: number): V | undefined;
  delete(key: K, windowStartMs: number): void;
  /** The key's live windows with fromMs <= start <= toMs, in ascending time. */
  fetch(key: K, fromMs: number, toMs: number): AsyncIterable<[number, V]>;
  /**
   * Every key's live windows with fromMs <= start <= toMs, ordered by window start, then by the
   * serialized key (bytes); reads only that span of the time index.
   */
  fetchAll(fromMs: number, toMs: number): AsyncIterable<WindowedEntry<K, V>>;
  /** Advances stream time (never moves it back), e.g. from the task's stream time after a restart. */
  observeStreamTime(streamTimeMs: number): void;
  /**
   * Advances stream time (when given) and deletes every expired window, through the transaction,
   * so the changelog gets tombstones and a restore does not bring expired windows back. Reads
   * only the expired part of the time index: call it from a punctuator, as often as suits.
   * Returns the number of windows deleted.
   */
  expire(streamTimeMs?: number): Promise<number>;
}

// Window starts are below 2^53; bounds one past the largest are still exact.
const MAX_WINDOW_TIME = Number.MAX_SAFE_INTEGER - 1;

/** Stream time observed by one windowed store, shared by every handle on the store. */
export class ObservedStreamTime {
  ms = -Infinity;
}

/**
 * The index write that restoring a windowed store's changelog record implies (undefined for a
 * tombstone: the index entry it leaves is stale, and expiry deletes it when it meets it).
 */
export function windowIndexWriteFor(composite: Buffer, value: Buffer | null): StoreWrite | undefined {
  if (value === null) return undefined;
  const parsed = parseWindowKey(composite);
  if (parsed === undefined) return undefined;
  return { key: windowIndexKey(parsed.windowStartMs, parsed.key), value: EMPTY, localOnly: true };
}

const EMPTY = Buffer.alloc(0);
const INDEX_BUILD_BATCH = 10_000;

/**
 * Builds the time index of a windowed store written before stores had one (windows but no index
 * entry): one scan, at open. Its checkpoint stays as it was.
 */
export async function buildWindowIndexIfMissing(engine: StoreEngine): Promise<number> {
  const index = engine.iterate({ gte: WINDOW_INDEX_START, limit: 1 });
  const first = await index.next();
  await index.return(undefined);
  if (first.done !== true) return 0;
  let writes: StoreWrite[] = [];
  let built = 0;
  const checkpoint = engine.readCheckpoint() ?? 0n;
  for await (const [composite] of engine.iterate({ lt: WINDOW_INDEX_START })) {
    const write = windowIndexWriteFor(composite, EMPTY);
    if (write === undefined) continue;
    writes.push(write);
    if (writes.length >= INDEX_BUILD_BATCH) {
      await engine.writeBatch(writes, checkpoint);
      built += writes.length;
      writes = [];
    }
  }
  if (writes.length > 0) await engine.writeBatch(writes, checkpoint);
  return built + writes.length;
}

export class TransactionalWindowedStore<K, V> implements WindowedStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  private readonly store: StoreTransaction;
  private readonly codec: StoreCodec<K, V>;
  private readonly streamTime: ObservedStreamTime;
  private readonly taskStreamTime: () => number;
  private readonly taskId: string;

  constructor(
    store: StoreTransaction,
    codec: StoreCodec<K, V>,
    options: {
      retentionMs: number;
      streamTime: ObservedStreamTime;
      taskId: string;
      /** The task's stream time (negative before any record); default: none. */
      taskStreamTime?: () => number;
    },
  ) {
    this.name = store.storeName;
    this.store = store;
    this.codec = codec;
    this.retentionMs = options.retentionMs;
    this.streamTime = options.streamTime;
    this.taskStreamTime = options.taskStreamTime ?? (() => -Infinity);
    this.taskId = options.taskId;
  }

  get observedStreamTimeMs(): number {
    return this.currentStreamTime();
  }

  put(key: K, windowStartMs: number, value: V): boolean {
    this.requireWindowTime('put', windowStartMs);
    const keyBytes = this.codec.encodeKey(key);
    const composite = windowKey(keyBytes, windowStartMs);
    const bytes = this.codec.encodeValue(value);
    this.observeStreamTime(windowStartMs);
    if (windowStartMs < this.expiryCutoff()) return false;
    this.store.put(composite, bytes);
    this.store.putLocal(windowIndexKey(windowStartMs, keyBytes), EMPTY);
    return true;
  }

  get(key: K, windowStartMs: number): V | undefined {
    this.requireWindowTime('get', windowStartMs);
    if (windowStartMs < this.expiryCutoff()) return undefined;
    const bytes = this.store.get(windowKey(this.codec.encodeKey(key), windowStartMs));
    return bytes === undefined ? undefined : this.codec.decodeValue(bytes);
  }

  delete(key: K, windowStartMs: number): void {
    this.requireWindowTime('delete', windowStartMs);
    const keyBytes = this.codec.encodeKey(key);
    this.store.delete(windowKey(keyBytes, windowStartMs));
    this.store.deleteLocal(windowIndexKey(windowStartMs, keyBytes));
  }

  fetch(key: K, fromMs: number, toMs: number): AsyncIterable<[number, V]> {
    this.requireWholeMs('fetch', fromMs, toMs);
    const keyBytes = this.codec.encodeKey(key);
    return this.fetchWindows(keyBytes, Math.max(fromMs, 0, this.expiryCutoff()), toMs);
  }

  fetchAll(fromMs: number, toMs: number): AsyncIterable<WindowedEntry<K, V>> {
    this.requireWholeMs('fetchAll', fromMs, toMs);
    return this.fetchAllWindows(Math.max(fromMs, 0, this.expiryCutoff()), Math.min(toMs, MAX_WINDOW_TIME));
  }

  observeStreamTime(streamTimeMs: number): void {
    if (!Number.isSafeInteger(streamTimeMs)) {
      throw this.argumentError(`stream time ${streamTimeMs} is not a whole number of ms`);
    }
    const previous = this.streamTime.ms;
    if (streamTimeMs <= previous) return;
    this.streamTime.ms = streamTimeMs;
    // A record that fails after advancing stream time must not leave windows expired early.
    this.store.onRecordRollback(() => {
      this.streamTime.ms = previous;
    });
  }

  async expire(streamTimeMs?: number): Promise<number> {
    if (streamTimeMs !== undefined) this.observeStreamTime(streamTimeMs);
    const cutoff = this.expiryCutoff();
    if (cutoff <= 0) return 0;
    let deleted = 0;
    const range = { gte: WINDOW_INDEX_START, lt: windowIndexBound(Math.min(cutoff, MAX_WINDOW_TIME + 1)) };
    for await (const [index] of this.store.iterate(range)) {
      const { key, windowStartMs } = this.parseIndex(index);
      const composite = windowKey(key, windowStartMs);
      // An index entry whose window is gone (deleted, or a tombstone restored) is stale.
      if (this.store.get(composite) !== undefined) {
        this.store.delete(composite);
        deleted += 1;
      }
      this.store.deleteLocal(index);
    }
    return deleted;
  }

  private async *fetchAllWindows(fromMs: number, toMs: number): AsyncGenerator<WindowedEntry<K, V>> {
    if (fromMs > toMs) return;
    const range = { gte: windowIndexBound(fromMs), lt: windowIndexBound(toMs + 1) };
    for await (const [index] of this.store.iterate(range)) {
      const { key, windowStartMs } = this.parseIndex(index);
      const value = this.store.get(windowKey(key, windowStartMs));
      if (value === undefined) continue; // stale: its window was deleted
      yield { key: this.codec.decodeKey(key), windowStartMs, value: this.codec.decodeValue(value) };
    }
  }

  private parseIndex(index: Buffer): { key: Buffer; windowStartMs: number } {
    const parsed = parseWindowIndexKey(index);
    if (parsed === undefined) {
      throw new StoreSerdeError(`key ${index.toString('hex')} is not a window index key`, this.context);
    }
    return parsed;
  }

  private async *fetchWindows(keyBytes: Buffer, fromMs: number, toMs: number): AsyncGenerator<[number, V]> {
    if (fromMs > toMs) return;
    const range = { gte: windowKey(keyBytes, fromMs), lt: windowKey(keyBytes, toMs + 1) };
    for await (const [composite, value] of this.store.iterate(range)) {
      yield [windowStartOf(composite), this.codec.decodeValue(value)];
    }
  }

  /** The store's own stream time or the task's, whichever is later. */
  private currentStreamTime(): number {
    const task = this.taskStreamTime();
    return task >= 0 && task > this.streamTime.ms ? task : this.streamTime.ms;
  }

  /** Windows starting before this are expired. */
  private expiryCutoff(): number {
    return this.currentStreamTime() - this.retentionMs;
  }

  private requireWholeMs(operation: string, fromMs: number, toMs: number): void {
    for (const [what, ms] of [
      ['fromMs', fromMs],
      ['toMs', toMs],
    ] as const) {
      if (!Number.isSafeInteger(ms)) {
        throw this.argumentError(`${operation}() ${what} ${ms} is not a whole number of ms`);
      }
    }
  }

  private requireWindowTime(operation: string, windowStartMs: number): void {
    if (!isWindowTime(windowStartMs)) {
      throw this.argumentError(
        `${operation}() window start ${windowStartMs} is not a whole, non-negative number of ms`,
      );
    }
  }

  private argumentError(message: string): StoreArgumentError {
    return new StoreArgumentError(message, this.context);
  }

  private get context(): { storeName: string; taskId: string } {
    return { storeName: this.name, taskId: this.taskId };
  }
}
