// Composite keys of windowed stores: [key length: uint32 BE][key bytes][window start ms: uint64 BE].
//
// The length prefix makes the key part unambiguous: the entries of key "ab" all start with
// 00000002 'a' 'b', which no entry of "abc" (00000003 ...) or of any other key starts with, so
// a scan over one key's windows never runs into a longer key that shares its bytes. The window
// start is unsigned big-endian, so byte order is time order within a key.

const LENGTH_BYTES = 4;
const TIME_BYTES = 8;
const TWO_POW_32 = 0x1_0000_0000;

/** Window start times must be whole, non-negative milliseconds within Number's exact integers. */
export function isWindowTime(ms: number): boolean {
  return Number.isSafeInteger(ms) && ms >= 0;
}

/** The bytes every composite key of `key` starts with. */
export function windowKeyPrefix(key: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(LENGTH_BYTES + key.length);
  prefix.writeUInt32BE(key.length, 0);
  key.copy(prefix, LENGTH_BYTES);
  return prefix;
}

/** Composite key of `key` and a window start; `windowStartMs` may be up to 2^53 (an exclusive bound). */
export function windowKey(key: Buffer, windowStartMs: number): Buffer {
  const composite = Buffer.allocUnsafe(LENGTH_BYTES + key.length + TIME_BYTES);
  composite.writeUInt32BE(key.length, 0);
  key.copy(composite, LENGTH_BYTES);
  const timeOffset = LENGTH_BYTES + key.length;
  composite.writeUInt32BE(Math.floor(windowStartMs / TWO_POW_32), timeOffset);
  composite.writeUInt32BE(windowStartMs % TWO_POW_32, timeOffset + 4);
  return composite;
}

/** Splits a composite key; undefined when the bytes are not one. */
export function parseWindowKey(composite: Buffer): { key: Buffer; windowStartMs: number } | undefined {
  if (composite.length < LENGTH_BYTES + TIME_BYTES) return undefined;
  const keyLength = composite.readUInt32BE(0);
  if (composite.length !== LENGTH_BYTES + keyLength + TIME_BYTES) return undefined;
  return {
    key: composite.subarray(LENGTH_BYTES, LENGTH_BYTES + keyLength),
    windowStartMs: windowStartOf(composite),
  };
}

/** The window start of a composite key (its last 8 bytes). */
export function windowStartOf(composite: Buffer): number {
  const timeOffset = composite.length - TIME_BYTES;
  return composite.readUInt32BE(timeOffset) * TWO_POW_32 + composite.readUInt32BE(timeOffset + 4);
}
