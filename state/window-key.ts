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

// The time index of a windowed store, local only (never on the changelog):
//   0xFF <window start: uint64 BE><key bytes> -> (empty)
// Composite keys start with their key's length (uint32 BE), whose first byte is 0xFF only for keys
// of 4 GiB and more: no composite key falls in the index's range, and the index sorts after them.
// Ordered by window start, it lets expiry read only the expired windows, and fetchAll a time span.
const INDEX_TAG = 0xff;

/** The index key of a window. */
export function windowIndexKey(windowStartMs: number, key: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(1 + TIME_BYTES + key.length);
  bytes[0] = INDEX_TAG;
  bytes.writeUInt32BE(Math.floor(windowStartMs / TWO_POW_32), 1);
  bytes.writeUInt32BE(windowStartMs % TWO_POW_32, 5);
  key.copy(bytes, 1 + TIME_BYTES);
  return bytes;
}

/** Index keys of windows starting before `ms` sort before this bound (`ms` up to 2^53). */
export function windowIndexBound(ms: number): Buffer {
  const bytes = Buffer.allocUnsafe(1 + TIME_BYTES);
  bytes[0] = INDEX_TAG;
  bytes.writeUInt32BE(Math.floor(ms / TWO_POW_32), 1);
  bytes.writeUInt32BE(ms % TWO_POW_32, 5);
  return bytes;
}

/** The first key of the index; every index key is at or after it. */
export const WINDOW_INDEX_START = Buffer.from([INDEX_TAG]);

/** Splits an index key; undefined when the bytes are not one. */
export function parseWindowIndexKey(bytes: Buffer): { key: Buffer; windowStartMs: number } | undefined {
  if (bytes.length < 1 + TIME_BYTES || bytes[0] !== INDEX_TAG) return undefined;
  return {
    key: bytes.subarray(1 + TIME_BYTES),
    windowStartMs: bytes.readUInt32BE(1) * TWO_POW_32 + bytes.readUInt32BE(5),
  };
}
