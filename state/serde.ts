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

// Fatal, so that bytes that are not UTF-8 are rejected instead of turning into U+FFFD.
// A native validity check plus Buffer#toString is several times faster than a fatal TextDecoder
// on the hot path (every record and every store read decodes text).
function decodeUtf8(serdeName: string, bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new SerdeError(serdeName, `${bytes.length} bytes are not valid UTF-8`);
  return bytes.toString('utf8');
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
  const prepare = (value: unknown): unknown => {
    switch (typeof value) {
      case 'bigint':
        return { [BIGINT_MARKER]: value.toString() };
      case 'number':
        if (!Number.isFinite(value)) throw new SerdeError(name, `cannot encode ${value}`);
        return value;
      case 'object': {
        if (value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
        if (Array.isArray(value)) return value.map(prepare);
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value)) out[key] = prepare((value as Record<string, unknown>)[key]);
        return out;
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
    if (typeof text === 'string' && INTEGER_TEXT.test(text) && Object.keys(record).length === 1)
      return BigInt(text);
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
