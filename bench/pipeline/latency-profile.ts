/**
 * The latency phase second by second: whether a p99 over the target comes from one stall (a
 * pause, a compaction) or from a stretch of seconds in which everything was slow (the machine or
 * the broker short of CPU). A p99 alone cannot tell them apart; the remedies differ.
 */

/** One timed transaction: when it was sent (epoch ms) and how long until it was visible (ms). */
export interface TimedSample {
  sentAt: number;
  latencyMs: number;
}

export interface SecondFigures {
  /** Seconds from the first send. */
  second: number;
  samples: number;
  p50Ms: number;
  maxMs: number;
}

export interface LatencyProfile {
  seconds: SecondFigures[];
  /** Seconds in which at least one transaction took longer than the threshold. */
  slowSeconds: number;
  /** The longest run of consecutive slow seconds. */
  longestSlowStretch: number;
  /** The second with the highest median, undefined without samples. */
  worstSecond: SecondFigures | undefined;
  /** Share of the samples over the threshold (0..1). */
  overThresholdShare: number;
}

function median(sorted: readonly number[]): number {
  return sorted[Math.floor((sorted.length - 1) / 2)] as number;
}

/** Groups the samples by the second of their send time and finds the slow seconds. */
export function latencyProfile(samples: readonly TimedSample[], thresholdMs: number): LatencyProfile {
  if (samples.length === 0) {
    return {
      seconds: [],
      slowSeconds: 0,
      longestSlowStretch: 0,
      worstSecond: undefined,
      overThresholdShare: 0,
    };
  }
  let first = Infinity;
  for (const s of samples) first = Math.min(first, s.sentAt);
  const bySecond = new Map<number, number[]>();
  let over = 0;
  for (const s of samples) {
    const second = Math.floor((s.sentAt - first) / 1000);
    let list = bySecond.get(second);
    if (list === undefined) bySecond.set(second, (list = []));
    list.push(s.latencyMs);
    if (s.latencyMs > thresholdMs) over++;
  }
  const seconds: SecondFigures[] = [...bySecond.keys()]
    .sort((a, b) => a - b)
    .map((second) => {
      const sorted = (bySecond.get(second) as number[]).sort((a, b) => a - b);
      return { second, samples: sorted.length, p50Ms: median(sorted), maxMs: sorted.at(-1) as number };
    });
  let slowSeconds = 0;
  let longestSlowStretch = 0;
  let stretch = 0;
  let previous: number | undefined;
  for (const figures of seconds) {
    const slow = figures.maxMs > thresholdMs;
    // A second without samples breaks a stretch as a fast one does.
    stretch = slow ? (previous === figures.second - 1 ? stretch + 1 : 1) : 0;
    if (slow) slowSeconds++;
    longestSlowStretch = Math.max(longestSlowStretch, stretch);
    previous = slow ? figures.second : undefined;
  }
  const worstSecond = seconds.reduce((worst, s) => (s.p50Ms > worst.p50Ms ? s : worst));
  return { seconds, slowSeconds, longestSlowStretch, worstSecond, overThresholdShare: over / samples.length };
}

/** The samples as CSV (sent_at_ms,latency_ms), for a closer look after a run with --keep. */
export function latencyCsv(samples: readonly TimedSample[]): string {
  const lines = ['sent_at_ms,latency_ms'];
  for (const s of samples) lines.push(`${s.sentAt.toFixed(1)},${s.latencyMs.toFixed(1)}`);
  return `${lines.join('\n')}\n`;
}
