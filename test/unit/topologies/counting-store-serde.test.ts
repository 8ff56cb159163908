import { describe, expect, it } from 'vitest';
import { SerdeError, jsonSerde } from '../../../state/index.ts';
import {
  accountTotalsJsonSerde,
  accountTotalsStoreSerde,
  countingTopology,
  type AccountTotals,
} from '../../../topologies/counting.ts';

const serde = accountTotalsStoreSerde;

describe('the counting topology’s totals store format', () => {
  it('is 16 big-endian bytes: version 1, count, sum in minor units, currency', () => {
    const bytes = serde.serialize({ count: 258, sumMinor: -2n, currency: 'MXN' });
    expect(bytes.toString('hex')).toBe(
      '01' + '00000102' + 'fffffffffffffffe' + Buffer.from('MXN').toString('hex'),
    );
  });

  it('round-trips the extremes of count and int64 money exactly', () => {
    const samples: AccountTotals[] = [
      { count: 0, sumMinor: 0n, currency: 'USD' },
      { count: 0xffff_ffff, sumMinor: 2n ** 63n - 1n, currency: 'MXN' },
      { count: 1, sumMinor: -(2n ** 63n), currency: 'EUR' },
      { count: 7, sumMinor: 9_007_199_254_740_993n, currency: 'JPY' }, // above 2^53
    ];
    for (const totals of samples) expect(serde.deserialize(serde.serialize(totals))).toEqual(totals);
  });

  it('refuses values it cannot store faithfully', () => {
    const bad: unknown[] = [
      { count: -1, sumMinor: 0n, currency: 'MXN' },
      { count: 2 ** 32, sumMinor: 0n, currency: 'MXN' },
      { count: 1.5, sumMinor: 0n, currency: 'MXN' },
      { count: 1, sumMinor: 2n ** 63n, currency: 'MXN' },
      { count: 1, sumMinor: 10, currency: 'MXN' },
      { count: 1, sumMinor: 1n, currency: 'mxn' },
      { count: 1, sumMinor: 1n, currency: 'PESO' },
    ];
    for (const value of bad) expect(() => serde.serialize(value as AccountTotals)).toThrow(SerdeError);
  });

  it('refuses bytes of another length, another format version or a malformed currency', () => {
    const good = serde.serialize({ count: 3, sumMinor: 100n, currency: 'MXN' });
    const otherVersion = Buffer.from(good);
    otherVersion[0] = 2;
    const badCurrency = Buffer.from(good);
    badCurrency[15] = 0x20;
    const json = Buffer.from('{"count":3,"sumMinor":{"$bigint":"100"},"currency":"MXN"}');
    for (const bytes of [
      good.subarray(0, 15),
      Buffer.concat([good, Buffer.from([0])]),
      otherVersion,
      badCurrency,
      json,
    ]) {
      expect(() => serde.deserialize(bytes)).toThrow(SerdeError);
    }
  });

  it('is the serde of the topology’s totals store', () => {
    const topology = countingTopology({ input: 'in', output: 'out' });
    expect(topology.stores.get('totals')?.valueSerde).toBe(serde);
  });
});

describe('the counting topology’s output format', () => {
  const generic = jsonSerde<AccountTotals>();
  const samples: AccountTotals[] = [
    { count: 0, sumMinor: 0n, currency: 'USD' },
    { count: 1, sumMinor: -150n, currency: 'MXN' },
    { count: 0xffff_ffff, sumMinor: 2n ** 63n - 1n, currency: 'EUR' },
    { count: 12, sumMinor: -(2n ** 63n), currency: 'JPY' },
  ];
  // A deterministic spread of counts and sums, both signs, up to int64.
  for (let i = 1; i <= 200; i++)
    samples.push({
      count: (i * 2_654_435_761) % 2 ** 32,
      sumMinor: BigInt.asIntN(64, BigInt(i) ** 9n * (i % 2 === 0 ? 1n : -1n)),
      currency: i % 3 === 0 ? 'MXN' : 'USD',
    });

  it('is byte for byte the JSON that jsonSerde writes, and reads back exactly', () => {
    for (const totals of samples) {
      const bytes = accountTotalsJsonSerde.serialize(totals);
      expect(bytes.equals(generic.serialize(totals))).toBe(true);
      expect(accountTotalsJsonSerde.deserialize(bytes)).toEqual(totals);
    }
    expect(accountTotalsJsonSerde.serialize({ count: 2, sumMinor: -150n, currency: 'MXN' }).toString()).toBe(
      '{"count":2,"sumMinor":{"$bigint":"-150"},"currency":"MXN"}',
    );
  });

  it('refuses totals it would not write faithfully, as the store format does', () => {
    for (const value of [
      { count: -1, sumMinor: 0n, currency: 'MXN' },
      { count: 1.5, sumMinor: 0n, currency: 'MXN' },
      { count: 1, sumMinor: 2n ** 63n, currency: 'MXN' },
      { count: 1, sumMinor: 10, currency: 'MXN' },
      { count: 1, sumMinor: 1n, currency: 'M"N' },
    ])
      expect(() => accountTotalsJsonSerde.serialize(value as AccountTotals)).toThrow(SerdeError);
  });

  it('is the serde of the topology’s output', () => {
    const topology = countingTopology({ input: 'in', output: 'out' });
    const sink = topology.nodes.get('totals-out');
    const totals: AccountTotals = { count: 1, sumMinor: 5n, currency: 'MXN' };
    const bytes =
      sink?.kind === 'sink' ? sink.valueSerde.serialize(totals, { topic: 'out', part: 'value' }) : undefined;
    expect(bytes).toEqual(accountTotalsJsonSerde.serialize(totals));
    // Not the generic serde's output by chance: the sink's serde refuses what only this one refuses.
    const unchecked = { count: -1, sumMinor: 5n, currency: 'MXN' };
    expect(
      () => sink?.kind === 'sink' && sink.valueSerde.serialize(unchecked, { topic: 'out', part: 'value' }),
    ).toThrow(SerdeError);
  });
});
