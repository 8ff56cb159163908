import type { StoreRestorer } from '../state/index.ts';
import type { AdminClient, ChangelogReader } from './kafka/client.ts';
import type { ConsumedRecord } from './records.ts';
import { tpKey } from './records.ts';
import type { Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import type { StreamTask } from './task.ts';

export interface RestoreSummary {
  /** Changelog records applied, per store. */
  restored: Map<string, number>;
  total: number;
  elapsedMs: number;
}

/**
 * Brings a task's stores up to the end of their changelogs, from each store's checkpoint (so a
 * restart with intact local state reads only the tail). Progress is logged and exported as
 * `saldo_restore_remaining_records`, so that a long restore is visibly moving.
 */
export async function restoreTask(
  task: StreamTask,
  deps: {
    admin: AdminClient;
    reader: ChangelogReader;
    logger: Logger;
    metrics: EngineMetrics;
    heartbeat: () => Promise<void>;
  },
): Promise<RestoreSummary> {
  const started = performance.now();
  const log = deps.logger.child({ task: task.taskId });
  const changelogs = task.changelogPartitions();
  const restored = new Map<string, number>(changelogs.map((c) => [c.store, 0]));
  if (changelogs.length === 0) return { restored, total: 0, elapsedMs: 0 };

  const ranges = await deps.admin.offsetRange(changelogs);
  const state = task.stateManager;
  const work: Array<{ store: string; topic: string; partition: number; from: number; to: number }> = [];
  for (const c of changelogs) {
    const range = ranges.get(tpKey(c)) ?? { start: 0, end: 0 };
    const checkpoint = state.checkpoint(c.store);
    let from = checkpoint === undefined ? range.start : Number(checkpoint);
    if (from > range.end) {
      // Local state claims more than the changelog holds: the changelog was recreated (an app
      // reset). Local state cannot be trusted; rebuild it from the changelog.
      log.warn(
        { store: c.store, checkpoint: from, changelogEnd: range.end },
        'local checkpoint is ahead of the changelog; wiping the store',
      );
      await state.wipeStore(c.store);
      from = range.start;
    }
    if (from < range.start) from = range.start;
    if (from < range.end) work.push({ ...c, from, to: range.end });
  }

  let remaining = work.reduce((sum, w) => sum + (w.to - w.from), 0);
  deps.metrics.restoreRemaining.set({ task: task.taskId }, remaining);
  if (work.length === 0) {
    log.info(
      { stores: changelogs.map((c) => c.store) },
      'stores are up to date with their changelogs; nothing to restore',
    );
    return { restored, total: 0, elapsedMs: performance.now() - started };
  }
  log.info(
    { ranges: work.map((w) => ({ store: w.store, from: w.from, to: w.to })), remaining },
    'restoring stores from changelogs',
  );

  const storeByTopic = new Map(work.map((w) => [w.topic, w.store]));
  const restorers = new Map(work.map((w) => [w.store, state.restorer(w.store)]));
  let lastReport = performance.now();
  await deps.reader.read(
    work,
    async (records: ConsumedRecord[]) => {
      for (const r of records) {
        const store = storeByTopic.get(r.topic) as string;
        const restorer = restorers.get(store) as StoreRestorer;
        restorer.add({ key: r.key ?? Buffer.alloc(0), value: r.value, offset: BigInt(r.offset) });
        restored.set(store, (restored.get(store) ?? 0) + 1);
      }
      for (const restorer of restorers.values()) await restorer.flushIfFull();
      const last = records[records.length - 1];
      const store = last ? storeByTopic.get(last.topic) : undefined;
      if (store) deps.metrics.restoredRecords.inc({ store }, records.length);
      remaining = Math.max(0, remaining - records.length);
      deps.metrics.restoreRemaining.set({ task: task.taskId }, remaining);
      if (performance.now() - lastReport > 2_000) {
        lastReport = performance.now();
        log.info({ restored: Object.fromEntries(restored), remaining }, 'restore progress');
      }
    },
    { heartbeat: deps.heartbeat },
  );
  for (const restorer of restorers.values()) await restorer.finish();
  deps.metrics.restoreRemaining.set({ task: task.taskId }, 0);
  const total = [...restored.values()].reduce((a, b) => a + b, 0);
  const elapsedMs = performance.now() - started;
  log.info(
    { restored: Object.fromEntries(restored), total, elapsedMs: Math.round(elapsedMs) },
    'restore complete',
  );
  return { restored, total, elapsedMs };
}
