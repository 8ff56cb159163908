import avsc from 'avsc';

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
// Longs whose zig-zag form (2|n|) stays an exact double: written and read as numbers, as avsc's own
// long type does, without the 8-byte buffers and bigint shifts of the general path.
const FAST_LIMIT = 2 ** 52;
const FAST_LIMIT_BIGINT = BigInt(FAST_LIMIT);

// One scratch buffer for the general path's bytes: avsc copies them into its tap at once.
const scratch = Buffer.alloc(8);

/**
 * Avro `long` as a JavaScript bigint. avsc reads longs as numbers by default, which silently loses
 * precision above 2^53: unacceptable for money. This is avsc's documented way to swap the long type.
 */
const generalLongType = avsc.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    scratch.writeBigInt64LE(n);
    return scratch;
  },
  fromJSON: (value: unknown) => BigInt(value as string | number),
  toJSON: (n: bigint) => n.toString(),
  isValid: (n: unknown) => typeof n === 'bigint' && n >= LONG_MIN && n <= LONG_MAX,
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

/** The parts of avsc's Tap and long type that the fast path uses (not in avsc's typings). */
interface Tap {
  pos: number;
  readLong(): number;
  writeLong(n: number): void;
  isValid(): boolean;
}
interface LongInternals {
  _read(tap: Tap): bigint | undefined;
  _write(tap: Tap, value: bigint): void;
}

// Amounts in minor units and epoch milliseconds are far below 2^52: almost every long of the
// product takes the fast path (a fifth of the Avro cost in the product's profile was the general
// path's allocations). Same bytes either way: Avro's zig-zag varint. avsc freezes its types, so the
// fast path is a frozen type whose prototype is the general one.
const general = generalLongType as unknown as LongInternals;
const fastPath: LongInternals = {
  _read(tap) {
    const start = tap.pos;
    const n = tap.readLong();
    if (!tap.isValid()) return undefined;
    if (n > -FAST_LIMIT && n < FAST_LIMIT) return BigInt(n);
    tap.pos = start;
    return general._read(tap);
  },
  _write(tap, value) {
    if (typeof value === 'bigint' && value > -FAST_LIMIT_BIGINT && value < FAST_LIMIT_BIGINT) {
      tap.writeLong(Number(value));
    } else general._write(tap, value);
  },
};

export const bigintLongType: typeof generalLongType = Object.freeze(
  Object.create(generalLongType, {
    _read: { value: fastPath._read },
    _write: { value: fastPath._write },
  }) as typeof generalLongType,
);
