import avsc from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintLongType } from '../../../schemas/index.ts';
import { zigzagVarint } from '../../support/zigzag.ts';

const schema = {
  type: 'record' as const,
  name: 'Amount',
  fields: [
    { name: 'minor', type: 'long' },
    { name: 'currency', type: 'string' },
  ],
};

describe('Avro long as bigint', () => {
  const type = avsc.Type.forSchema(schema, { registry: { long: bigintLongType } });

  it('round-trips amounts beyond 2^53 exactly, and the extremes of a long', () => {
    for (const minor of [2n ** 60n + 7n, -(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]) {
      expect(type.fromBuffer(type.toBuffer({ minor, currency: 'MXN' }))).toEqual({ minor, currency: 'MXN' });
    }
  });

  it('refuses a JavaScript number where a long is due, and values outside 64 bits', () => {
    expect(type.isValid({ minor: 10, currency: 'MXN' })).toBe(false);
    expect(type.isValid({ minor: 2n ** 63n, currency: 'MXN' })).toBe(false);
  });

  it('is wire-compatible with the standard long encoding', () => {
    const plain = avsc.Type.forSchema(schema);
    expect(plain.fromBuffer(type.toBuffer({ minor: 123_456_789n, currency: 'MXN' }))).toEqual({
      minor: 123_456_789,
      currency: 'MXN',
    });
  });
});

describe('Avro long as bigint: the safe-range fast path', () => {
  const type = avsc.Type.forSchema(schema, { registry: { long: bigintLongType } });
  const plain = avsc.Type.forSchema({ type: 'long' });
  const general = zigzagVarint;

  it('writes the same bytes as the general encoding on both sides of 2^52, and reads them back', () => {
    const edges = [
      2n ** 52n - 1n,
      2n ** 52n,
      2n ** 52n + 1n,
      2n ** 53n,
      2n ** 62n,
      2n ** 63n - 1n,
      1n,
      63n,
      64n,
    ];
    for (const edge of edges) {
      for (const minor of [edge, -edge, -edge - 1n]) {
        if (minor < -(2n ** 63n)) continue;
        const bytes = type.toBuffer({ minor, currency: 'X' });
        expect(bytes.subarray(0, bytes.length - 2)).toEqual(general(minor));
        expect(type.fromBuffer(bytes)).toEqual({ minor, currency: 'X' });
      }
    }
  });

  it('round-trips any 64-bit value exactly, byte for byte with the general encoding', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (minor) => {
        const bytes = type.toBuffer({ minor, currency: '' });
        expect(bytes.subarray(0, bytes.length - 1)).toEqual(general(minor));
        expect(type.fromBuffer(bytes).minor).toBe(minor);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads what avsc writes for numbers, and refuses a truncated long', () => {
    for (const n of [0, 1, -1, 1_733_000_000_000, -(2 ** 40)]) {
      const bigintType = avsc.Type.forSchema('long', { registry: { long: bigintLongType } });
      expect(bigintType.fromBuffer(plain.toBuffer(n))).toBe(BigInt(n));
    }
    const truncated = Buffer.from([0xff, 0xff]);
    const bigintType = avsc.Type.forSchema('long', { registry: { long: bigintLongType } });
    expect(() => bigintType.fromBuffer(truncated)).toThrow();
  });
});
