import { ReadOnlyStoreError } from './errors.ts';
import { justAfter, prefixEnd } from './key-bounds.ts';
import type { StoreCodec } from './store-codec.ts';
import type { StoreTransaction } from './task-transaction.ts';

export interface ScanOptions {
  /** Descending key order. */
  readonly reverse?: boolean;
  /** At most this many entries. */
  readonly limit?: number;
}

/**
 * The typed key-value store processors use. Reads see the task's uncommitted writes; writes
 * become durable with the next commit. Scans are in the byte order of the serialized keys.
 */
export interface KeyValueStore<K, V> {
  readonly name: string;
  get(key: K): V | undefined;
  put(key: K, value: V): void;
  delete(key: K): void;
  /** Entries with from <= key <= to (both inclusive, as in Kafka Streams); undefined = open end. */
  range(from: K | undefined, to: K | undefined, options?: ScanOptions): AsyncIterable<[K, V]>;
  /**
   * Entries whose serialized key starts with `prefix`. The prefix is given as bytes because the
   * serialized form of a shorter K is not in general a prefix of a longer one (JSON quotes, for
   * instance); for stringSerde keys, `Buffer.from(text)` is the prefix of every key starting with text.
   */
  prefixScan(prefix: Buffer, options?: ScanOptions): AsyncIterable<[K, V]>;
}

/**
 * How a handle writes: 'logged' puts and deletes go to the changelog at commit; 'local' ones reach
 * LevelDB only (a store whose changelog is an input topic); 'read-only' handles refuse writes.
 */
export type KeyValueWrites = 'logged' | 'local' | 'read-only';

export class TransactionalKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly store: StoreTransaction;
  private readonly codec: StoreCodec<K, V>;
  private readonly writes: KeyValueWrites;
  private readonly taskId: string;

  constructor(
    store: StoreTransaction,
    codec: StoreCodec<K, V>,
    options: { writes?: KeyValueWrites; taskId?: string } = {},
  ) {
    this.name = store.storeName;
    this.store = store;
    this.codec = codec;
    this.writes = options.writes ?? 'logged';
    this.taskId = options.taskId ?? '-';
  }

  get(key: K): V | undefined {
    const keyBytes = this.codec.encodeKey(key);
    const bytes = this.store.get(keyBytes, this.codec.keyText(keyBytes));
    return bytes === undefined ? undefined : this.codec.decodeValue(bytes);
  }

  put(key: K, value: V): void {
    if (this.writes === 'read-only') throw this.readOnly('put');
    const keyBytes = this.codec.encodeKey(key);
    const bytes = this.codec.encodeValue(value);
    if (this.writes === 'logged') this.store.put(keyBytes, bytes, this.codec.keyText(keyBytes));
    else this.store.putLocal(keyBytes, bytes, this.codec.keyText(keyBytes));
  }

  delete(key: K): void {
    if (this.writes === 'read-only') throw this.readOnly('delete');
    const keyBytes = this.codec.encodeKey(key);
    if (this.writes === 'logged') this.store.delete(keyBytes, this.codec.keyText(keyBytes));
    else this.store.deleteLocal(keyBytes, this.codec.keyText(keyBytes));
  }

  private readOnly(operation: string): ReadOnlyStoreError {
    return new ReadOnlyStoreError(operation, { storeName: this.name, taskId: this.taskId });
  }

  range(from: K | undefined, to: K | undefined, options: ScanOptions = {}): AsyncIterable<[K, V]> {
    const gte = from === undefined ? undefined : this.codec.encodeKey(from);
    const lt = to === undefined ? undefined : justAfter(this.codec.encodeKey(to));
    return this.decoded(gte, lt, options);
  }

  prefixScan(prefix: Buffer, options: ScanOptions = {}): AsyncIterable<[K, V]> {
    return this.decoded(prefix, prefixEnd(prefix), options);
  }

  private async *decoded(
    gte: Buffer | undefined,
    lt: Buffer | undefined,
    options: ScanOptions,
  ): AsyncGenerator<[K, V]> {
    const range = { gte, lt, reverse: options.reverse, limit: options.limit };
    for await (const [key, value] of this.store.iterate(range)) {
      yield [this.codec.decodeKey(key), this.codec.decodeValue(value)];
    }
  }
}
