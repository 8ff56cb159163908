import { StoreSerdeError } from './errors.ts';
import { keyText } from './key-bounds.ts';
import type { Serde } from './serde.ts';

/** A store's key and value serdes, with failures reported as StoreSerdeError naming the store. */
export class StoreCodec<K, V> {
  private readonly storeName: string;
  private readonly taskId: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;
  // The last primitive key encoded and its bytes: processors mostly get a key and then put it.
  // Primitives cannot change, and the store layer never mutates key bytes, so sharing is safe.
  private lastKey: K | undefined;
  private lastKeyBytes: Buffer | undefined;
  private lastKeyText: string | undefined;

  constructor(storeName: string, taskId: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.storeName = storeName;
    this.taskId = taskId;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  encodeKey(key: K): Buffer {
    if (this.lastKeyBytes !== undefined && Object.is(key, this.lastKey)) return this.lastKeyBytes;
    let bytes: Buffer;
    try {
      bytes = this.keySerde.serialize(key);
    } catch (error) {
      throw this.failure('serialize a key', error);
    }
    const type = typeof key;
    if (type === 'string' || type === 'number' || type === 'bigint') {
      this.lastKey = key;
      this.lastKeyBytes = bytes;
      this.lastKeyText = undefined;
    }
    return bytes;
  }

  /** keyText() of bytes from encodeKey(), computed once for the last primitive key. */
  keyText(bytes: Buffer): string {
    if (bytes !== this.lastKeyBytes) return keyText(bytes);
    this.lastKeyText ??= keyText(bytes);
    return this.lastKeyText;
  }

  decodeKey(bytes: Buffer): K {
    try {
      return this.keySerde.deserialize(bytes);
    } catch (error) {
      throw this.failure('deserialize a key', error);
    }
  }

  encodeValue(value: V): Buffer {
    try {
      return this.valueSerde.serialize(value);
    } catch (error) {
      throw this.failure('serialize a value', error);
    }
  }

  decodeValue(bytes: Buffer): V {
    try {
      return this.valueSerde.deserialize(bytes);
    } catch (error) {
      throw this.failure('deserialize a value', error);
    }
  }

  private failure(what: string, cause: unknown): StoreSerdeError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new StoreSerdeError(`cannot ${what}: ${reason}`, {
      storeName: this.storeName,
      taskId: this.taskId,
      cause,
    });
  }
}
