import { describe, expect, it } from 'vitest';
import { recommendedStreamThreads } from '../../../cli/node-options.ts';
import { validateStreamsConfig } from '../../../processor/config.ts';

describe('the recommended stream threads', () => {
  it('are one per core, at most one per partition', () => {
    expect(recommendedStreamThreads(2, 8)).toBe(2);
    expect(recommendedStreamThreads(16, 6)).toBe(6);
    expect(recommendedStreamThreads(1, 8)).toBe(1);
  });

  it('stay a valid streamThreads setting whatever the machine reports', () => {
    for (const [cores, partitions] of [
      [0, 8],
      [64, 100],
      [2.5, 8],
      [4, 0],
    ] as const) {
      const threads = recommendedStreamThreads(cores, partitions);
      expect(() =>
        validateStreamsConfig({
          applicationId: 'a',
          brokers: ['h:1'],
          stateDir: '/tmp',
          streamThreads: threads,
        }),
      ).not.toThrow();
    }
    expect(recommendedStreamThreads(64, 100)).toBe(32);
  });
});
