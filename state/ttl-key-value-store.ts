import { StoreArgumentError, StoreSerdeError } from './errors.ts';
import type { StoreCodec } from './store-codec.ts';
import type { StoreWrite } from './store-engine.ts';
import type { StoreTransaction } from './task-transaction.ts';

// Layout of a TTL store (one LevelDB database, like every store):
//   0x00 <key>                     -> <expires at: uint64 BE ms><value>   the entries; logged
//   0x01 <expires at: uint64 BE><key> -> (empty)                          the expiry index; local only
//
// The index orders entries by expiry, so expiring reads only what has expired: never the whole
// store. It never goes to the changelog: restoration derives it from the entries again
// (ttlIndexWriteFor). An index entry whose entry is gone or has another expiry is stale; the sweep
// that meets it deletes it, so nothing outlives the expiry it was written with.
const ENTRY_TAG = 0x00;
const INDEX_TAG = 0x01;
const TIME_BYTES = 8;
const TWO_POW_32 = 0x1_0000_0000;
const EMPTY = Buffer.alloc(0);
const INDEX_START = Buffer.from([INDEX_TAG]);
const INDEX_END = Buffer.from([INDEX_TAG + 1]);

/** An entry of a TTL store, as expiry hands it out. */
export interface TtlEntry<K, V> {
  readonly key: K;
  readonly value: V;
  readonly expiresAtMs: number;
}

/**
 * A key-value store whose entries expire on event time: each entry has an expiry, by default the
 * task's stream time at the put plus the store's TTL. An entry is visible while its expiry is
 * after the stream time, so what a record sees never depends on when a sweep ran, and a replay
 * sees the same. Expired entries are deleted by `purgeExpired` (or handed out by `expired`, for
 * processors that act on expiry), typically from a stream-time punctuation; both read only the
 * expired part of an index ordered by expiry.
 */
export interface TtlKeyValueStore<K, V> {
  readonly name: string;
  readonly ttlMs: number;
  /** The value, if the key has a live entry. */
  get(key: K): V | undefined;
  /** The live entry's value and expiry. */
  entry(key: K): { value: V; expiresAtMs: number } | undefined;
  /**
   * The key's entry, expired or not (an expired one no sweep has deleted yet): for processors
   * that act on expiry and must settle an expired entry before they change it.
   */
  peek(key: K): { value: V; expiresAtMs: number; expired: boolean } | undefined;
  /**
   * Stores the value until `expiresAtMs` (default: stream time + TTL). Returns false, storing
   * nothing and deleting any entry of the key, when that time is not after the stream time.
   */
  put(key: K, value: V, expiresAtMs?: number): boolean;
  /**
   * Stores the value (until `expiresAtMs`, default stream time + TTL) unless the key has a live
   * entry, whose value it returns, writing nothing: a dedup check and its write, with one read.
   */
  putIfAbsent(key: K, value: V, expiresAtMs?: number): V | undefined;
  delete(key: K): void;
  /**
   * Expired entries (expiry at or before the stream time), earliest expiry first, at most `limit`
   * of them. They stay in the store, invisible, until deleted: delete each one handled.
   */
  expired(limit?: number): AsyncIterable<TtlEntry<K, V>>;
  /** Deletes up to `limit` expired entries (tombstones to the changelog); returns how many. */
  purgeExpired(limit?: number): Promise<number>;
}

function writeTime(target: Buffer, offset: number, ms: number): void {
  target.writeUInt32BE(Math.floor(ms / TWO_POW_32), offset);
  target.writeUInt32BE(ms % TWO_POW_32, offset + 4);
}

function readTime(source: Buffer, offset: number): number {
  return source.readUInt32BE(offset) * TWO_POW_32 + source.readUInt32BE(offset + 4);
}

function entryKey(key: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(1 + key.length);
  bytes[0] = ENTRY_TAG;
  key.copy(bytes, 1);
  return bytes;
}

function indexKey(expiresAtMs: number, key: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(1 + TIME_BYTES + key.length);
  bytes[0] = INDEX_TAG;
  writeTime(bytes, 1, expiresAtMs);
  key.copy(bytes, 1 + TIME_BYTES);
  return bytes;
}

/** Index keys with an expiry before `ms` sort before this bound. */
function indexBound(ms: number): Buffer {
  const bytes = Buffer.allocUnsafe(1 + TIME_BYTES);
  bytes[0] = INDEX_TAG;
  writeTime(bytes, 1, ms);
  return bytes;
}

function entryValue(expiresAtMs: number, value: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(TIME_BYTES + value.length);
  writeTime(bytes, 0, expiresAtMs);
  value.copy(bytes, TIME_BYTES);
  return bytes;
}

/**
 * The index write that restoring a TTL store's changelog entry implies (undefined for a tombstone:
 * the index entry it leaves is stale and goes at its expiry).
 */
export function ttlIndexWriteFor(key: Buffer, value: Buffer | null): StoreWrite | undefined {
  if (value === null || key.length < 1 || key[0] !== ENTRY_TAG || value.length < TIME_BYTES) return undefined;
  return { key: indexKey(readTime(value, 0), key.subarray(1)), value: EMPTY, localOnly: true };
}

const isExpiryTime = (ms: number): boolean => Number.isSafeInteger(ms) && ms >= 0;

interface RawExpired {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly expiresAtMs: number;
  readonly index: Buffer;
}

export class TransactionalTtlKeyValueStore<K, V> implements TtlKeyValueStore<K, V> {
  readonly name: string;
  readonly ttlMs: number;
  private readonly store: StoreTransaction;
  private readonly codec: StoreCodec<K, V>;
  private readonly streamTime: () => number;
  private readonly taskId: string;
  // The entry key of the last key bytes seen: a processor peeks a key, then puts it (the codec
  // hands back the same bytes for the same primitive key).
  private lastKeyBytes: Buffer | undefined;
  private lastEntryKey: Buffer | undefined;
  // No index entry of this handle's store expires before this (-Infinity: not known). A sweep
  // that finds nothing expired raises it past its stream time, a write of an earlier expiry
  // lowers it: a sweep before it reads nothing, so sweeping every minute of stream time stays
  // cheap when stream time runs fast (a backlog, a replay) and little expires.
  private nextExpiryMs = -Infinity;

  constructor(
    store: StoreTransaction,
    codec: StoreCodec<K, V>,
    options: { ttlMs: number; streamTime: () => number; taskId: string },
  ) {
    this.name = store.storeName;
    this.store = store;
    this.codec = codec;
    this.ttlMs = options.ttlMs;
    this.streamTime = options.streamTime;
    this.taskId = options.taskId;
  }

  get(key: K): V | undefined {
    return this.entry(key)?.value;
  }

  entry(key: K): { value: V; expiresAtMs: number } | undefined {
    const stored = this.store.get(this.entryKeyOf(this.codec.encodeKey(key)));
    if (stored === undefined) return undefined;
    const expiresAtMs = this.expiryOf(stored);
    if (expiresAtMs <= this.streamTime()) return undefined;
    return { value: this.codec.decodeValue(stored.subarray(TIME_BYTES)), expiresAtMs };
  }

  peek(key: K): { value: V; expiresAtMs: number; expired: boolean } | undefined {
    const stored = this.store.get(this.entryKeyOf(this.codec.encodeKey(key)));
    if (stored === undefined) return undefined;
    const expiresAtMs = this.expiryOf(stored);
    return {
      value: this.codec.decodeValue(stored.subarray(TIME_BYTES)),
      expiresAtMs,
      expired: expiresAtMs <= this.streamTime(),
    };
  }

  put(key: K, value: V, expiresAtMs: number = Math.max(this.streamTime(), 0) + this.ttlMs): boolean {
    const keyBytes = this.codec.encodeKey(key);
    const dataKey = this.entryKeyOf(keyBytes);
    return this.write(keyBytes, dataKey, this.store.get(dataKey), value, expiresAtMs);
  }

  putIfAbsent(
    key: K,
    value: V,
    expiresAtMs: number = Math.max(this.streamTime(), 0) + this.ttlMs,
  ): V | undefined {
    const keyBytes = this.codec.encodeKey(key);
    const dataKey = this.entryKeyOf(keyBytes);
    const stored = this.store.get(dataKey);
    if (stored !== undefined && this.expiryOf(stored) > this.streamTime()) {
      return this.codec.decodeValue(stored.subarray(TIME_BYTES));
    }
    this.write(keyBytes, dataKey, stored, value, expiresAtMs);
    return undefined;
  }

  /** Writes the entry and moves its index entry; `previous` is what the key holds now. */
  private write(
    keyBytes: Buffer,
    dataKey: Buffer,
    previous: Buffer | undefined,
    value: V,
    expiresAtMs: number,
  ): boolean {
    if (!isExpiryTime(expiresAtMs)) {
      throw new StoreArgumentError(`expiry ${expiresAtMs} is not a whole, non-negative number of ms`, {
        storeName: this.name,
        taskId: this.taskId,
      });
    }
    const valueBytes = this.codec.encodeValue(value);
    const previousExpiry = previous === undefined ? undefined : this.expiryOf(previous);
    if (expiresAtMs <= this.streamTime()) {
      if (previousExpiry !== undefined) this.remove(dataKey, keyBytes, previousExpiry);
      return false;
    }
    if (previousExpiry !== undefined && previousExpiry !== expiresAtMs) {
      this.store.deleteLocal(indexKey(previousExpiry, keyBytes));
    }
    this.store.put(dataKey, entryValue(expiresAtMs, valueBytes));
    if (previousExpiry !== expiresAtMs) {
      this.store.putLocal(indexKey(expiresAtMs, keyBytes), EMPTY);
      if (expiresAtMs < this.nextExpiryMs) this.nextExpiryMs = expiresAtMs;
    }
    return true;
  }

  delete(key: K): void {
    const keyBytes = this.codec.encodeKey(key);
    const dataKey = this.entryKeyOf(keyBytes);
    const previous = this.store.get(dataKey);
    if (previous !== undefined) this.remove(dataKey, keyBytes, this.expiryOf(previous));
  }

  async *expired(limit = Infinity): AsyncGenerator<TtlEntry<K, V>> {
    for await (const raw of this.expiredRaw(limit)) {
      yield {
        key: this.codec.decodeKey(raw.key),
        value: this.codec.decodeValue(raw.value.subarray(TIME_BYTES)),
        expiresAtMs: raw.expiresAtMs,
      };
    }
  }

  async purgeExpired(limit = Infinity): Promise<number> {
    let purged = 0;
    for await (const raw of this.expiredRaw(limit)) {
      this.store.delete(entryKey(raw.key));
      this.store.deleteLocal(raw.index);
      purged += 1;
    }
    return purged;
  }

  /** Expired entries as bytes, from the index; stale index entries met on the way are deleted. */
  private async *expiredRaw(limit: number): AsyncGenerator<RawExpired> {
    const now = this.streamTime();
    if (now < 0 || !(limit > 0) || now < this.nextExpiryMs) return;
    // No live entry expires before nextExpiryMs (every put lowers it; it is raised only past what a
    // sweep found): seeking there skips the deleted index entries below it, which LevelDB would
    // otherwise step over one by one on every sweep until a compaction drops them.
    const from = this.nextExpiryMs >= 0 ? indexBound(this.nextExpiryMs) : INDEX_START;
    const handedOut: Array<{ key: Buffer; expiresAtMs: number }> = [];
    for await (const [index] of this.store.iterate({ gte: from, lt: indexBound(now + 1) })) {
      if (index.length < 1 + TIME_BYTES) throw this.corrupt(index);
      const expiresAtMs = readTime(index, 1);
      const key = index.subarray(1 + TIME_BYTES);
      const stored = this.store.get(entryKey(key));
      if (stored === undefined || this.expiryOf(stored) !== expiresAtMs) {
        this.store.deleteLocal(index);
        continue;
      }
      yield { key, value: stored, expiresAtMs, index };
      handedOut.push({ key, expiresAtMs });
      if (handedOut.length >= limit) return;
    }
    if (handedOut.length > 0) {
      // Everything that had expired by now was handed out, and the caller has dealt with it. What
      // it left as it was is swept again next time; the rest is deleted or moved (a write of an
      // earlier expiry lowers nextExpiryMs again). So the next sweep can start after now: with
      // expiries every minute of stream time (holds while a backlog is read, say), sweeps would
      // otherwise all start at the first swept expiry and step over ever more deleted index
      // entries until a compaction drops them.
      let next = now + 1;
      for (const { key, expiresAtMs } of handedOut) {
        const stored = this.store.get(entryKey(key));
        if (stored !== undefined && this.expiryOf(stored) === expiresAtMs) next = Math.min(next, expiresAtMs);
      }
      this.raiseNextExpiry(next);
      return;
    }
    // Nothing expired up to now: no sweep needs to read before the next expiry in the index.
    let next = Infinity;
    for await (const [index] of this.store.iterate({ gte: indexBound(now + 1), lt: INDEX_END, limit: 1 })) {
      next = readTime(index, 1);
    }
    this.raiseNextExpiry(next);
  }

  private raiseNextExpiry(ms: number): void {
    const previous = this.nextExpiryMs;
    if (ms <= previous) return;
    this.nextExpiryMs = ms;
    // Writes of a record that fails are undone; what they would have lowered must not stay raised.
    this.store.onRecordRollback(() => {
      this.nextExpiryMs = Math.min(this.nextExpiryMs, previous);
    });
  }

  private entryKeyOf(keyBytes: Buffer): Buffer {
    if (keyBytes !== this.lastKeyBytes) {
      this.lastKeyBytes = keyBytes;
      this.lastEntryKey = entryKey(keyBytes);
    }
    return this.lastEntryKey as Buffer;
  }

  private remove(dataKey: Buffer, keyBytes: Buffer, expiresAtMs: number): void {
    this.store.delete(dataKey);
    this.store.deleteLocal(indexKey(expiresAtMs, keyBytes));
  }

  private expiryOf(stored: Buffer): number {
    if (stored.length < TIME_BYTES) throw this.corrupt(stored);
    return readTime(stored, 0);
  }

  private corrupt(bytes: Buffer): StoreSerdeError {
    return new StoreSerdeError(`${bytes.toString('hex')} is not a TTL store entry or index key`, {
      storeName: this.name,
      taskId: this.taskId,
    });
  }
}
