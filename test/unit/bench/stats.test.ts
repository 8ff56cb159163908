import { describe, expect, it } from 'vitest';
import { busyShare, histogramQuantile, percentile, stealShare } from '../../../bench/stats.ts';

describe('bench statistics', () => {
  it('splits machine time into busy and, of it, steal between two /proc/stat readings', () => {
    const before = { busy: 1_000, steal: 200, total: 4_000 };
    const after = { busy: 1_800, steal: 450, total: 5_000 };
    expect(busyShare(before, after)).toBeCloseTo(0.8);
    expect(stealShare(before, after)).toBeCloseTo(0.25);
    expect(stealShare(before, before)).toBeUndefined();
    expect(stealShare(undefined, after)).toBeUndefined();
  });

  it('takes nearest-rank percentiles and interpolates histogram quantiles as Prometheus does', () => {
    expect(percentile([5, 1, 4, 2, 3], 0.99)).toBe(5);
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    const buckets = [
      { le: 0.1, count: 50 },
      { le: 0.2, count: 100 },
      { le: Infinity, count: 100 },
    ];
    expect(histogramQuantile(buckets, 0.75)).toBeCloseTo(0.15);
  });
});
