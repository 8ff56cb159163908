/**
 * Restores under way on the instances themselves: the group knows which tasks each member runs,
 * not whether an active task is still restoring. Each instance that serves queries
 * (`--application-server`) exposes its metrics at GET /metrics, where
 * `saldo_restore_remaining_records{task}` is above 0 while a task restores.
 */

/** Per task, the changelog records still to restore, from an instance's metrics (0s left out). */
export function restoresFromMetrics(text: string): Record<string, number> {
  const remaining: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('saldo_restore_remaining_records{')) continue;
    const task = /task="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (task === undefined || !Number.isFinite(value) || value <= 0) continue;
    remaining[task] = (remaining[task] ?? 0) + value;
  }
  return remaining;
}

/**
 * Per endpoint ("host:port"), its restores under way; undefined for an instance that did not
 * answer within `timeoutMs` (stopped, or not reachable from here).
 */
export async function instanceRestores(
  endpoints: readonly string[],
  timeoutMs = 1_500,
): Promise<Map<string, Record<string, number> | undefined>> {
  const answers = await Promise.all(
    [...new Set(endpoints)].map(async (endpoint) => {
      try {
        const response = await fetch(`http://${endpoint}/metrics`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        if (!response.ok) return [endpoint, undefined] as const;
        return [endpoint, restoresFromMetrics(await response.text())] as const;
      } catch {
        return [endpoint, undefined] as const;
      }
    }),
  );
  return new Map(answers);
}
