import { describe, expect, it } from 'vitest';
import { SerdeError, bytesSerde, int64Serde, jsonSerde, stringSerde } from '../../../state/index.ts';

describe('stringSerde', () => {
  it('round-trips text as UTF-8', () => {
    const value = 'Zürich → 東京 💶';
    expect(stringSerde.serialize(value)).toEqual(Buffer.from(value, 'utf8'));
    expect(stringSerde.deserialize(stringSerde.serialize(value))).toBe(value);
  });

  it('rejects bytes that are not UTF-8, naming the serde', () => {
    expect(() => stringSerde.deserialize(Buffer.from([0xff, 0xfe, 0x41]))).toThrow(SerdeError);
    expect(() => stringSerde.deserialize(Buffer.from([0xc3]))).toThrow(/stringSerde/);
  });
});

describe('int64Serde', () => {
  it('round-trips the int64 extremes as 8 big-endian bytes', () => {
    for (const value of [-(2n ** 63n), -1n, 0n, 1n, 123_456_789_012_345n, 2n ** 63n - 1n]) {
      expect(int64Serde.deserialize(int64Serde.serialize(value))).toBe(value);
    }
    expect(int64Serde.serialize(258n)).toEqual(Buffer.from([0, 0, 0, 0, 0, 0, 1, 2]));
  });

  it('rejects values outside int64 and byte strings that are not 8 long', () => {
    expect(() => int64Serde.serialize(2n ** 63n)).toThrow(SerdeError);
    expect(() => int64Serde.deserialize(Buffer.alloc(7))).toThrow(/int64Serde: expected 8 bytes/);
  });

  it('rejects numbers where a bigint is required', () => {
    expect(() => int64Serde.serialize(5 as unknown as bigint)).toThrow(SerdeError);
  });
});

describe('jsonSerde', () => {
  interface Balance {
    account: string;
    amountMinor: bigint;
    holds: bigint[];
    version: number;
  }
  const serde = jsonSerde<Balance>();

  it('round-trips bigint amounts and keeps plain numbers numbers', () => {
    const balance: Balance = { account: 'NL01', amountMinor: 2n ** 70n, holds: [-5n, 0n], version: 3 };
    const decoded = serde.deserialize(serde.serialize(balance));
    expect(decoded).toEqual(balance);
    expect(typeof decoded.version).toBe('number');
    expect(typeof decoded.amountMinor).toBe('bigint');
  });

  it('encodes a bigint as {"$bigint":"<digits>"}', () => {
    expect(jsonSerde<bigint>().serialize(-42n).toString()).toBe('{"$bigint":"-42"}');
  });

  it('rejects bytes that are not JSON, naming the serde', () => {
    const named = jsonSerde<Balance>({ name: 'balanceSerde' });
    expect(() => named.deserialize(Buffer.from('{"account":'))).toThrow(SerdeError);
    expect(() => named.deserialize(Buffer.from('{"account":'))).toThrow(/balanceSerde/);
    expect(() => named.deserialize(Buffer.from([0xff]))).toThrow(SerdeError);
  });

  it('rejects NaN, Infinity and values JSON cannot hold instead of writing null', () => {
    expect(() => jsonSerde<number>().serialize(Number.NaN)).toThrow(SerdeError);
    expect(() => jsonSerde<{ rate: number }>().serialize({ rate: Infinity })).toThrow(SerdeError);
    expect(() => jsonSerde<undefined>().serialize(undefined)).toThrow(SerdeError);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(() => jsonSerde<typeof cyclic>().serialize(cyclic)).toThrow(SerdeError);
  });

  it('rejects decoded values that fail the validator', () => {
    const isBalance = (value: unknown): value is Balance =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { amountMinor?: unknown }).amountMinor === 'bigint';
    const validated = jsonSerde<Balance>({ validate: isBalance });
    expect(() => validated.deserialize(Buffer.from('{"amountMinor":12}'))).toThrow(/failed validation/);
    expect(validated.deserialize(Buffer.from('{"amountMinor":{"$bigint":"12"}}')).amountMinor).toBe(12n);
  });
});

describe('bytesSerde', () => {
  it('copies, so that mutating the caller buffer cannot change what was serialized', () => {
    const original = Buffer.from([1, 2, 3]);
    const serialized = bytesSerde.serialize(original);
    original[0] = 9;
    expect(serialized).toEqual(Buffer.from([1, 2, 3]));
    const decoded = bytesSerde.deserialize(serialized);
    decoded[1] = 9;
    expect(serialized).toEqual(Buffer.from([1, 2, 3]));
  });
});
