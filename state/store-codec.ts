import { StoreSerdeError } from './errors.ts';
import type { Serde } from './serde.ts';

/** A store's key and value serdes, with failures reported as StoreSerdeError naming the store. */
export class StoreCodec<K, V> {
  private readonly storeName: string;
  private readonly taskId: string;
  private readonly keySerde: Serde<K>;
  private readonly valueSerde: Serde<V>;

  constructor(storeName: string, taskId: string, keySerde: Serde<K>, valueSerde: Serde<V>) {
    this.storeName = storeName;
    this.taskId = taskId;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
  }

  encodeKey(key: K): Buffer {
    try {
      return this.keySerde.serialize(key);
    } catch (error) {
      throw this.failure('serialize a key', error);
    }
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
