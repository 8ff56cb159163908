import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import { bigintLongType } from '../../../schemas/index.ts';

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
