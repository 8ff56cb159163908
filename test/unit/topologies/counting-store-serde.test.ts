import { describe, expect, it } from 'vitest';
import { SerdeError } from '../../../state/index.ts';
import {
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
