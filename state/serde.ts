import { isUtf8 } from 'node:buffer';
import { SerdeError } from './errors.ts';

/**
 * Turns values into bytes and back, synchronously (reads in the hot path are synchronous).
 * Stores order keys by their serialized bytes, so a key serde also fixes the order of range scans.
 */
export interface Serde<T> {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T;
}

// Bytes that are not UTF-8 are rejected instead of turning into U+FFFD. Buffer#toString replaces
// every invalid sequence with U+FFFD, so text without one came from valid UTF-8 and only text
// with one (rare in real data) needs the native validity check. Cheaper than a fatal TextDecoder
// or a check up front, on the hot path where every record and every store read decodes text.
const REPLACEMENT_CHARACTER = '\uFFFD';

function decodeUtf8(serdeName: string, bytes: Buffer): string {
  const text = bytes.toString();
  if (text.includes(REPLACEMENT_CHARACTER) && !isUtf8(bytes)) {
    throw new SerdeError(serdeName, `${bytes.length} bytes are not valid UTF-8`);
  }
  return text;
}

/** UTF-8 strings; byte order equals code point order. */
export const stringSerde: Serde<string> = {
  serialize(value) {
    if (typeof value !== 'string') {
      throw new SerdeError('stringSerde', `expected a string, got ${typeof value}`);
    }
    return Buffer.from(value, 'utf8');
  },
  deserialize(bytes) {
    return decodeUtf8('stringSerde', bytes);
  },
};

/** Raw bytes. Copies both ways, so that callers can never mutate a buffered write in place. */
export const bytesSerde: Serde<Buffer> = {
  serialize(value) {
    if (!(value instanceof Uint8Array)) {
      throw new SerdeError('bytesSerde', `expected a Buffer, got ${typeof value}`);
    }
    return Buffer.from(value);
  },
  deserialize(bytes) {
    return Buffer.from(bytes);
  },
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * bigint as 8 bytes, big-endian two's complement. Byte order equals numeric order only for
 * values >= 0 (negative values sort after positive ones), which is what keys of this serde get.
 */
export const int64Serde: Serde<bigint> = {
  serialize(value) {
    if (typeof value !== 'bigint') {
      throw new SerdeError('int64Serde', `expected a bigint, got ${typeof value}`);
    }
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new SerdeError('int64Serde', `${value} is outside int64`);
    }
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeBigInt64BE(value);
    return bytes;
  },
  deserialize(bytes) {
    if (bytes.length !== 8) throw new SerdeError('int64Serde', `expected 8 bytes, got ${bytes.length}`);
    return bytes.readBigInt64BE(0);
  },
};

const BIGINT_MARKER = '$bigint';
const INTEGER_TEXT = /^-?\d+$/;

// JSON.parse makes plain objects, whose for-in keys are their own keys; no array is allocated.
function hasOnlyOneKey(record: object): boolean {
  let count = 0;
  for (const _key in record) if (++count > 1) return false;
  return count === 1;
}

export interface JsonSerdeOptions<T> {
  /** Named in errors; defaults to 'jsonSerde'. */
  readonly name?: string;
  /** Checks the shape of a decoded value; without it the decoded value is trusted to be a T. */
  readonly validate?: (value: unknown) => value is T;
}

/**
 * JSON in UTF-8. bigint values (money) round-trip as `{"$bigint":"123"}`; plain numbers stay
 * numbers. Consequence: an object whose only property is a string `$bigint` holding an integer
 * decodes as a bigint. NaN and ±Infinity are rejected instead of silently becoming null.
 */
export function jsonSerde<T>(options: JsonSerdeOptions<T> = {}): Serde<T> {
  const name = options.name ?? 'jsonSerde';
  const validate = options.validate;

  // Puts bigints into {"$bigint": "123"} form before JSON.stringify: a replacer function would take
  // V8 off its fast path for every value, and state reads and writes happen for every record.
  // Copy on write: a value (or part of one) without bigints is handed to JSON.stringify as it is,
  // and an object that has one is copied once (a spread keeps its shape), never mutated.
  const prepare = (value: unknown): unknown => {
    switch (typeof value) {
      case 'bigint':
        return { [BIGINT_MARKER]: value.toString() };
      case 'number':
        if (!Number.isFinite(value)) throw new SerdeError(name, `cannot encode ${value}`);
        return value;
      case 'object': {
        if (value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
        if (Array.isArray(value)) {
          let copy: unknown[] | undefined;
          for (let index = 0; index < value.length; index++) {
            const item: unknown = value[index];
            const prepared = prepare(item);
            if (prepared !== item) {
              copy ??= value.slice();
              copy[index] = prepared;
            }
          }
          return copy ?? value;
        }
        const record = value as Record<string, unknown>;
        let copy: Record<string, unknown> | undefined;
        // for-in with an own-property check walks the same keys as Object.keys (JSON.stringify's
        // keys) without allocating an array of them.
        for (const key in record) {
          if (!Object.hasOwn(record, key)) continue;
          const item = record[key];
          const prepared = prepare(item);
          if (prepared !== item) {
            copy ??= { ...record };
            copy[key] = prepared;
          }
        }
        return copy ?? value;
      }
      default:
        return value;
    }
  };

  // Turns {"$bigint": "123"} objects back into bigints. A walk after JSON.parse is several times
  // cheaper than a JSON.parse reviver, which crosses into JavaScript for every single value.
  const revive = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
      return value;
    }
    const record = value as Record<string, unknown>;
    const text = record[BIGINT_MARKER];
    if (typeof text === 'string' && hasOnlyOneKey(record) && INTEGER_TEXT.test(text)) return BigInt(text);
    for (const key in record) record[key] = revive(record[key]);
    return record;
  };

  return {
    serialize(value) {
      let text: string | undefined;
      try {
        text = JSON.stringify(prepare(value));
      } catch (error) {
        if (error instanceof SerdeError) throw error;
        throw new SerdeError(name, 'value cannot be encoded as JSON', error);
      }
      // JSON.stringify returns undefined for undefined, functions and symbols.
      if (text === undefined) throw new SerdeError(name, `cannot encode a value of type ${typeof value}`);
      return Buffer.from(text, 'utf8');
    },
    deserialize(bytes) {
      let value: unknown;
      try {
        const text = decodeUtf8(name, bytes);
        // Skip the walk when there is no bigint to revive.
        value = text.includes(BIGINT_MARKER) ? revive(JSON.parse(text)) : JSON.parse(text);
      } catch (error) {
        if (error instanceof SerdeError) throw error;
        throw new SerdeError(name, `${bytes.length} bytes are not valid JSON`, error);
      }
      if (validate !== undefined && !validate(value)) {
        throw new SerdeError(name, 'decoded value failed validation');
      }
      return value as T;
    },
  };
}
