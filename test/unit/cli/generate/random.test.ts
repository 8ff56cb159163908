import { describe, expect, it } from 'vitest';
import { SeededRandom, WeightedChoice } from '../../../../cli/generate/random.ts';

const draws = (seed: number, n = 1_000) => {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => random.uint32());
};

describe('the seeded random source', () => {
  it('gives the same sequence for the same seed', () => {
    expect(draws(42)).toEqual(draws(42));
  });

  it('gives different sequences for different seeds, high bits of the seed included', () => {
    expect(draws(42)).not.toEqual(draws(43));
    expect(draws(1)).not.toEqual(draws(1 + 2 ** 32));
  });

  it('draws integers within the bounds asked for, every value reachable', () => {
    const random = new SeededRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const value = random.between(3, 9);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(9);
      seen.add(value);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it('spreads draws evenly (each of 10 buckets within 10% of its share)', () => {
    const random = new SeededRandom(11);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[random.below(10)]! += 1;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(1_000);
  });

  it('refuses a seed that is not a non-negative safe integer', () => {
    expect(() => new SeededRandom(-1)).toThrow(RangeError);
    expect(() => new SeededRandom(1.5)).toThrow(RangeError);
    expect(() => new SeededRandom(2 ** 53)).toThrow(RangeError);
  });
});

describe('a weighted choice', () => {
  it('picks in proportion to the weights and never a zero-weight entry', () => {
    const choice = new WeightedChoice<string>([
      ['rare', 1],
      ['never', 0],
      ['common', 3],
    ]);
    const random = new SeededRandom(5);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40_000; i++) {
      const value = choice.pick(random);
      counts[value] = (counts[value] ?? 0) + 1;
    }
    expect(counts.never).toBeUndefined();
    expect(counts.common! / counts.rare!).toBeGreaterThan(2.7);
    expect(counts.common! / counts.rare!).toBeLessThan(3.3);
  });
});
