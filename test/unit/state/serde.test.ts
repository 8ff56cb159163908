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

describe('UTF-8 checking (stringSerde, jsonSerde)', () => {
  it('rejects exactly the byte strings that are not UTF-8', () => {
    const json = jsonSerde<unknown>();
    const malformed = [
      [0xff],
      [0xc3], // truncated two-byte sequence
      [0xc0, 0xaf], // overlong '/'
      [0xed, 0xa0, 0x80], // a UTF-16 surrogate
      [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
      [0x22, 0x61, 0xe2, 0x82, 0x22], // truncated inside a JSON string: "a…"
    ];
    for (const bytes of malformed) {
      expect(() => stringSerde.deserialize(Buffer.from(bytes))).toThrow(/not valid UTF-8/);
      expect(() => json.deserialize(Buffer.from(bytes))).toThrow(/not valid UTF-8/);
    }
    // Random bytes, mostly invalid: the serde agrees with a validating decoder on every one.
    let seed = 11;
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (let i = 0; i < 2_000; i++) {
      const bytes = Buffer.alloc(1 + (i % 7));
      for (let j = 0; j < bytes.length; j++) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        bytes[j] = i % 3 === 0 ? 0x80 + (seed % 0x80) : seed % 0x100;
      }
      let expected: string | undefined;
      try {
        expected = strict.decode(bytes);
      } catch {
        expected = undefined;
      }
      if (expected === undefined) expect(() => stringSerde.deserialize(bytes)).toThrow(/not valid UTF-8/);
      else expect(stringSerde.deserialize(bytes)).toBe(expected);
    }
  });

  it('accepts text that itself contains U+FFFD', () => {
    expect(stringSerde.deserialize(Buffer.from('a\uFFFDb'))).toBe('a\uFFFDb');
    expect(jsonSerde<{ s: string }>().deserialize(Buffer.from('{"s":"\uFFFD"}'))).toEqual({ s: '\uFFFD' });
  });
});

describe('jsonSerde encoding', () => {
  const deepFreeze = <T>(value: T): T => {
    if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) deepFreeze(item);
      Object.freeze(value);
    }
    return value;
  };

  it('writes bigints as {"$bigint":"…"} anywhere in a value, byte for byte as before', () => {
    const serde = jsonSerde<unknown>();
    const value = {
      n: 1,
      amounts: [1n, 2, [-3n], { nested: { x: 40n } }],
      none: null,
      text: 'é',
      when: new Date(Date.UTC(2026, 0, 2)),
      skip: undefined,
    };
    expect(serde.serialize(value).toString()).toBe(
      '{"n":1,"amounts":[{"$bigint":"1"},2,[{"$bigint":"-3"}],{"nested":{"x":{"$bigint":"40"}}}],' +
        '"none":null,"text":"é","when":"2026-01-02T00:00:00.000Z"}',
    );
    expect(serde.deserialize(serde.serialize(value))).toEqual({
      ...value,
      when: '2026-01-02T00:00:00.000Z',
      skip: undefined,
    });
  });

  it('never changes the value it encodes (frozen values encode too)', () => {
    const serde = jsonSerde<unknown>();
    const value = deepFreeze({ a: [1n, { b: 2n }], c: { d: 'x' }, e: 3 });
    expect(serde.serialize(value).toString()).toBe(
      '{"a":[{"$bigint":"1"},{"b":{"$bigint":"2"}}],"c":{"d":"x"},"e":3}',
    );
    expect(value.a[0]).toBe(1n);
    expect(value.a[1]).toEqual({ b: 2n });
  });

  it('encodes own properties only, as JSON.stringify does', () => {
    const proto = { inherited: 5n };
    const value = Object.assign(Object.create(proto) as Record<string, unknown>, { own: 1n });
    expect(jsonSerde<unknown>().serialize(value).toString()).toBe('{"own":{"$bigint":"1"}}');
  });

  it('rejects NaN and Infinity wherever they are, inside arrays and objects without bigints too', () => {
    const serde = jsonSerde<unknown>();
    expect(() => serde.serialize([1, [2, Number.NaN]])).toThrow(SerdeError);
    expect(() => serde.serialize({ a: { b: -Infinity } })).toThrow(SerdeError);
  });
});
