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

export class TransactionalKeyValueStore<K, V> implements KeyValueStore<K, V> {
  readonly name: string;
  private readonly store: StoreTransaction;
  private readonly codec: StoreCodec<K, V>;

  constructor(store: StoreTransaction, codec: StoreCodec<K, V>) {
    this.name = store.storeName;
    this.store = store;
    this.codec = codec;
  }

  get(key: K): V | undefined {
    const keyBytes = this.codec.encodeKey(key);
    const bytes = this.store.get(keyBytes, this.codec.keyText(keyBytes));
    return bytes === undefined ? undefined : this.codec.decodeValue(bytes);
  }

  put(key: K, value: V): void {
    const keyBytes = this.codec.encodeKey(key);
    this.store.put(keyBytes, this.codec.encodeValue(value), this.codec.keyText(keyBytes));
  }

  delete(key: K): void {
    const keyBytes = this.codec.encodeKey(key);
    this.store.delete(keyBytes, this.codec.keyText(keyBytes));
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
