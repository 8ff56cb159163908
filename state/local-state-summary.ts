/**
 * What a task's local state holds, said without opening it: when a task's stores close, the
 * checkpoint of each store with a changelog goes to `<stateDir>/<appId>/<taskId>/.checkpoints.json`
 * (as Kafka Streams' `.checkpoint` file). The group's assignor reads these through the member's
 * subscription to know which instance can take a task over warm — after a restart too — while the
 * stores themselves may be locked by another thread. Advisory only: a restore always starts from
 * the checkpoint inside the store; a crash leaves an older summary, which only makes an instance
 * look further behind than it is.
 */
import { readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';

const SUMMARY_FILE = '.checkpoints.json';

/** Writes the summary of a task's changelog checkpoints (atomically: a temp file renamed). */
export function writeLocalStateSummary(
  location: { stateDir: string; appId: string; taskId: string },
  checkpoints: ReadonlyMap<string, bigint | undefined>,
): void {
  const dir = path.join(location.stateDir, location.appId, location.taskId);
  const body: Record<string, string> = {};
  for (const [store, offset] of checkpoints) if (offset !== undefined) body[store] = offset.toString();
  const file = path.join(dir, SUMMARY_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(body));
  renameSync(`${file}.tmp`, file);
}

/**
 * Per task directory of the application (`<subtopology>_<partition>` → partition), the sum of the
 * summarized checkpoints of `stores` (those with a changelog). Tasks without a readable summary
 * are left out; nothing here throws.
 */
export function localTaskOffsetSums(
  stateDir: string,
  appId: string,
  stores: readonly string[],
): Map<number, number> {
  const sums = new Map<number, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(path.join(stateDir, appId));
  } catch {
    return sums;
  }
  for (const taskId of tasks) {
    const partition = Number(/^\d+_(\d+)$/.exec(taskId)?.[1]);
    if (!Number.isInteger(partition)) continue;
    try {
      const summary = JSON.parse(
        readFileSync(path.join(stateDir, appId, taskId, SUMMARY_FILE), 'utf8'),
      ) as Record<string, unknown>;
      let sum = 0;
      for (const store of stores) {
        const offset = Number(summary[store] ?? 0);
        if (Number.isFinite(offset)) sum += offset;
      }
      sums.set(partition, sum);
    } catch {
      // No summary (never closed cleanly, or another version): this task's state counts as unknown.
    }
  }
  return sums;
}
