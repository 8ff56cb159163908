import type { Serde } from '../state/index.ts';

/** Where a record serde is used; Avro subjects are derived from the topic. */
export interface SerdeContext {
  topic: string;
  part: 'key' | 'value';
}

/**
 * A serde for records on topics. Unlike store serdes it may be asynchronous: Avro through the
 * schema registry fetches schemas on first use.
 */
export interface RecordSerde<T> {
  readonly name: string;
  serialize(value: T, ctx: SerdeContext): Buffer | Promise<Buffer>;
  deserialize(bytes: Buffer, ctx: SerdeContext): T | Promise<T>;
}

/** Any synchronous store serde serves as a record serde too. */
export function recordSerde<T>(serde: Serde<T>, name = 'custom'): RecordSerde<T> {
  return {
    name,
    serialize: (value) => serde.serialize(value),
    deserialize: (bytes) => serde.deserialize(bytes),
  };
}
