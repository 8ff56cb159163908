import { describe, expect, it } from 'vitest';
import { positiveInt } from '../../../bench/args.ts';

describe('positiveInt', () => {
  it('reads whole positive numbers, with underscores as separators, and falls back when absent', () => {
    expect(positiveInt('records', '1_000_000', 5)).toBe(1_000_000);
    expect(positiveInt('records', '8', 5)).toBe(8);
    expect(positiveInt('records', undefined, 5)).toBe(5);
  });

  it('names the option when the value is not a positive integer', () => {
    for (const bad of ['0', '-3', '1.5', 'many', ''])
      expect(() => positiveInt('rounds', bad, 1)).toThrow(/--rounds must be a positive integer/);
  });
});
