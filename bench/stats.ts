import type { HistogramBucket } from './protocol.ts';

/** The q-quantile (0..1) of the samples, nearest rank; NaN without samples. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

/**
 * The q-quantile estimated from cumulative histogram buckets with linear interpolation inside the
 * bucket, as Prometheus' histogram_quantile() does. In the buckets' unit (seconds here).
 */
export function histogramQuantile(buckets: readonly HistogramBucket[], q: number): number {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const b of sorted) {
    if (b.count >= rank) {
      if (b.le === Infinity) return lowerLe;
      const inBucket = b.count - lowerCount;
      return inBucket === 0 ? b.le : lowerLe + ((b.le - lowerLe) * (rank - lowerCount)) / inBucket;
    }
    lowerLe = b.le;
    lowerCount = b.count;
  }
  return lowerLe;
}

/** Machine-wide CPU time from /proc/stat (Linux), to tell how busy the whole box was during a phase. */
export interface CpuTimes {
  busy: number;
  /** Time the hypervisor ran someone else while this machine wanted to run (counted in busy). */
  steal: number;
  total: number;
}

export async function machineCpuTimes(): Promise<CpuTimes | undefined> {
  try {
    const { readFile } = await import('node:fs/promises');
    const line = (await readFile('/proc/stat', 'utf8')).split('\n').find((l) => l.startsWith('cpu '));
    if (!line) return undefined;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, steal: fields[7] ?? 0, total };
  } catch {
    return undefined;
  }
}

/**
 * Steal share (0..1) of all cores between two readings: CPU time the hypervisor gave to other
 * guests while this machine had work. On a shared VM it makes the same code run slower, so runs
 * are comparable only together with it.
 */
export function stealShare(before: CpuTimes | undefined, after: CpuTimes | undefined): number | undefined {
  if (!before || !after || after.total === before.total) return undefined;
  return (after.steal - before.steal) / (after.total - before.total);
}

/** Busy share (0..1) of all cores between two readings. */
export function busyShare(before: CpuTimes | undefined, after: CpuTimes | undefined): number | undefined {
  if (!before || !after || after.total === before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}
