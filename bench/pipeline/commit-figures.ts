/**
 * saldo's own count of its commits (saldo_commit_latency_seconds on its ops server), read before
 * and after the latency phase: how often the tasks committed and how long a commit took, which
 * is where the produce → visible time goes when the broker is slow to answer.
 */

export interface CommitTotals {
  count: number;
  sumSeconds: number;
}

export interface CommitFigures {
  commitsPerSecond: number;
  meanCommitMs: number;
}

/** The commit histogram's count and sum in a Prometheus text exposition; undefined if absent. */
export function commitTotalsIn(exposition: string): CommitTotals | undefined {
  let count: number | undefined;
  let sumSeconds: number | undefined;
  for (const line of exposition.split('\n')) {
    const match = /^saldo_commit_latency_seconds_(count|sum)(?:\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[2]);
    if (!Number.isFinite(value)) continue;
    // Stream threads each expose theirs through the aggregated registry: add them up.
    if (match[1] === 'count') count = (count ?? 0) + value;
    else sumSeconds = (sumSeconds ?? 0) + value;
  }
  return count === undefined || sumSeconds === undefined ? undefined : { count, sumSeconds };
}

/** Commits per second and mean commit time between two readings `seconds` apart. */
export function commitFigures(before: CommitTotals, after: CommitTotals, seconds: number): CommitFigures {
  const commits = after.count - before.count;
  return {
    commitsPerSecond: seconds > 0 ? commits / seconds : Number.NaN,
    meanCommitMs: commits > 0 ? ((after.sumSeconds - before.sumSeconds) * 1000) / commits : Number.NaN,
  };
}

/** Reads the totals from a running instance's ops server; undefined if it does not answer. */
export async function readCommitTotals(opsUrl: string): Promise<CommitTotals | undefined> {
  try {
    const response = await fetch(`${opsUrl}/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return undefined;
    return commitTotalsIn(await response.text());
  } catch {
    return undefined;
  }
}
