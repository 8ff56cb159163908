import { describe, expect, it } from 'vitest';
import { latencyCsv, latencyProfile, type TimedSample } from '../../../bench/pipeline/latency-profile.ts';

const T0 = 1_800_000_000_000;
/** `perSecond[i]` latencies sent during second i. */
const samples = (perSecond: number[][]): TimedSample[] =>
  perSecond.flatMap((latencies, second) =>
    latencies.map((latencyMs, i) => ({ sentAt: T0 + second * 1000 + i, latencyMs })),
  );

describe('latencyProfile', () => {
  it('tells one stall from a stretch of slow seconds', () => {
    const stall = latencyProfile(
      samples([
        [100, 120],
        [110, 900],
        [100, 130],
        [120, 110],
      ]),
      500,
    );
    expect(stall.slowSeconds).toBe(1);
    expect(stall.longestSlowStretch).toBe(1);

    const stretch = latencyProfile(
      samples([
        [100, 120],
        [600, 700],
        [550, 800],
        [650, 520],
        [100, 90],
      ]),
      500,
    );
    expect(stretch.slowSeconds).toBe(3);
    expect(stretch.longestSlowStretch).toBe(3);
    expect(stretch.worstSecond).toEqual({ second: 1, samples: 2, p50Ms: 600, maxMs: 700 });
    expect(stretch.overThresholdShare).toBeCloseTo(6 / 10);
  });

  it('counts separate slow seconds without joining them into a stretch', () => {
    const profile = latencyProfile(samples([[900], [100], [900], [100], [900], [900]]), 500);
    expect(profile.slowSeconds).toBe(4);
    expect(profile.longestSlowStretch).toBe(2);
  });

  it('does not join slow seconds across a second without samples', () => {
    const gap = latencyProfile(
      [
        { sentAt: T0, latencyMs: 900 },
        { sentAt: T0 + 2_000, latencyMs: 900 },
      ],
      500,
    );
    expect(gap.seconds.map((s) => s.second)).toEqual([0, 2]);
    expect(gap.longestSlowStretch).toBe(1);
  });

  it('groups by the second of the send time, whatever the order the samples come in', () => {
    const profile = latencyProfile(
      [
        { sentAt: T0 + 1_500, latencyMs: 40 },
        { sentAt: T0, latencyMs: 10 },
        { sentAt: T0 + 999, latencyMs: 30 },
        { sentAt: T0 + 1_000, latencyMs: 20 },
      ],
      500,
    );
    expect(profile.seconds).toEqual([
      { second: 0, samples: 2, p50Ms: 10, maxMs: 30 },
      { second: 1, samples: 2, p50Ms: 20, maxMs: 40 },
    ]);
    expect(profile.slowSeconds).toBe(0);
  });

  it('has nothing to say without samples', () => {
    expect(latencyProfile([], 500)).toEqual({
      seconds: [],
      slowSeconds: 0,
      longestSlowStretch: 0,
      worstSecond: undefined,
      overThresholdShare: 0,
    });
  });

  it('writes the samples as CSV', () => {
    expect(latencyCsv([{ sentAt: 1.25, latencyMs: 300.04 }])).toBe('sent_at_ms,latency_ms\n1.3,300.0\n');
  });
});
