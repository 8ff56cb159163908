import { describe, expect, it } from 'vitest';
import { CachedValue, consumerLags, standbyLags } from '../../../processor/scrape-gauges.ts';

const ranges = new Map([
  ['tx:0', { start: 0, end: 100 }],
  ['tx:1', { start: 50, end: 80 }],
  ['tx:2', { start: 0, end: 10 }],
]);

describe('consumer lag', () => {
  it("is the end minus the running task's position, else the committed offset, else the log start", () => {
    const lags = consumerLags(
      [
        { topic: 'tx', partition: 0, position: 90 },
        { topic: 'tx', partition: 1, position: undefined },
        { topic: 'tx', partition: 2, position: undefined },
      ],
      ranges,
      new Map([['tx:1', { offset: 60, metadata: null }]]),
    );
    expect(lags).toEqual([
      { topic: 'tx', partition: 0, lag: 10 },
      { topic: 'tx', partition: 1, lag: 20 },
      { topic: 'tx', partition: 2, lag: 10 },
    ]);
  });

  it('counts nothing below the log start (retention deleted it) and is never negative', () => {
    const lags = consumerLags(
      [
        { topic: 'tx', partition: 1, position: 10 },
        { topic: 'tx', partition: 0, position: 120 },
        { topic: 'gone', partition: 0, position: 1 },
      ],
      ranges,
      new Map(),
    );
    expect(lags).toEqual([
      { topic: 'tx', partition: 1, lag: 30 },
      { topic: 'tx', partition: 0, lag: 0 },
    ]);
  });
});

describe('standby lag', () => {
  it("sums, over a standby's changelogs, the records between its checkpoint and the end", () => {
    expect(
      standbyLags(
        [
          {
            task: '0_0',
            changelogs: [
              { topic: 'tx', partition: 0, checkpoint: 95 },
              { topic: 'tx', partition: 2, checkpoint: 4 },
            ],
          },
          { task: '0_1', changelogs: [] },
        ],
        ranges,
      ),
    ).toEqual([
      { task: '0_0', lag: 11 },
      { task: '0_1', lag: 0 },
    ]);
  });
});

describe('a cached scrape value', () => {
  it('is loaded once per ttl, and concurrent readers share one load', async () => {
    let now = 0;
    let loads = 0;
    const cached = new CachedValue<number>({ ttlMs: 5_000, timeoutMs: 1_000, now: () => now });
    const load = async () => ++loads;
    expect(await Promise.all([cached.get(load), cached.get(load)])).toEqual([1, 1]);
    now = 4_999;
    expect(await cached.get(load)).toBe(1);
    now = 5_000;
    expect(await cached.get(load)).toBe(2);
  });

  it('keeps the previous value when a load fails or outlasts the timeout', async () => {
    let now = 0;
    const cached = new CachedValue<string>({ ttlMs: 10, timeoutMs: 50, now: () => now });
    expect(await cached.get(async () => 'first')).toBe('first');
    now = 100;
    expect(await cached.get(() => Promise.reject(new Error('broker down')))).toBe('first');
    const started = performance.now();
    expect(await cached.get(() => new Promise<string>(() => undefined))).toBe('first');
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
