import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactReader, CompactWriter } from '../../../../topologies/fraud/compact-bytes.ts';
import { zigzagVarint } from '../../../support/zigzag.ts';

const reference = zigzagVarint;

function written(value: bigint): Buffer {
  return new CompactWriter().bigint(value).toBuffer();
}

describe('compact bytes: bigints', () => {
  it('writes the reference bytes and reads them back on both sides of the fast paths’ limits', () => {
    const edges = [0n, 1n, 63n, 64n, 2n ** 48n, 2n ** 49n, 2n ** 52n - 1n, 2n ** 52n, 2n ** 64n, 2n ** 100n];
    for (const edge of edges) {
      for (const value of [edge, -edge, -edge - 1n]) {
        expect(written(value)).toEqual(reference(value));
        expect(new CompactReader(reference(value), 'test').bigint()).toBe(value);
      }
    }
  });

  it('round-trips any bigint, byte for byte with the reference, with other fields after it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }), fc.nat(), (value, after) => {
        const bytes = new CompactWriter().bigint(value).uint(after).toBuffer();
        const reader = new CompactReader(bytes, 'test');
        expect(reader.bigint()).toBe(value);
        expect(reader.uint()).toBe(after);
        expect(written(value)).toEqual(reference(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a value that ends inside a varint', () => {
    expect(() => new CompactReader(Buffer.from([0x80, 0x80]), 'test').bigint()).toThrow(/ends early/);
  });
});
