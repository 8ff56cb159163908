import type { ChangelogSource, ChangelogSourceRecord } from './changelog-source.ts';
import { partitionKey } from './changelog-source.ts';
import type { StoreChangelog } from './changelog-checkpoints.ts';
import type { StateManager } from './state-manager.ts';
import type { StoreRestorer } from './store-restorer.ts';

export interface RestoreSummary {
  /** Changelog records applied, per store. */
  restored: Map<string, number>;
  total: number;
  elapsedMs: number;
}

/** What recovery logs through: the task's logger (pino's fits). */
export interface RecoveryLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface RestoreOptions {
  /** The task's logger: the restore's start, progress and end. */
  readonly logger: RecoveryLogger;
  /** Records still to restore, whenever that changes (saldo_restore_remaining_records). */
  readonly onRemaining: (remaining: number) => void;
  /** One batch of a store's records applied (saldo_restore_records_total). */
  readonly onRestored: (store: string, records: number) => void;
  /** Called between reads, for a caller that must show it is alive meanwhile. */
  readonly heartbeat: () => Promise<void>;
}

// How often a long restore logs its progress.
const PROGRESS_EVERY_MS = 2_000;

/**
 * Brings a task's stores up to the end of their changelogs, from each store's checkpoint (so a
 * restart with intact local state reads only the tail). A store whose checkpoint is beyond its
 * changelog's end (the changelog was recreated) is wiped and rebuilt. Progress is logged and
 * reported through onRemaining, so that a long restore is visibly moving.
 */
export async function restoreStores(
  state: StateManager,
  changelogs: readonly StoreChangelog[],
  source: ChangelogSource,
  options: RestoreOptions,
): Promise<RestoreSummary> {
  const started = performance.now();
  const log = options.logger;
  const restored = new Map<string, number>(changelogs.map((c) => [c.store, 0]));
  if (changelogs.length === 0) return { restored, total: 0, elapsedMs: 0 };

  const ranges = await source.offsetRange([...changelogs]);
  const work: Array<{ store: string; topic: string; partition: number; from: number; to: number }> = [];
  for (const c of changelogs) {
    const range = ranges.get(partitionKey(c)) ?? { start: 0, end: 0 };
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
    if (from < range.end)
      work.push({ store: c.store, topic: c.topic, partition: c.partition, from, to: range.end });
  }

  let remaining = work.reduce((sum, w) => sum + (w.to - w.from), 0);
  options.onRemaining(remaining);
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
  // A source may hand over several partitions' batches at once; the restorers are flushed together,
  // so their batches are applied one at a time (a store takes one write batch at a time).
  let applying: Promise<void> = Promise.resolve();
  const serially =
    (apply: (records: ChangelogSourceRecord[]) => Promise<void>) => (records: ChangelogSourceRecord[]) => {
      const next = applying.then(() => apply(records));
      applying = next.catch(() => undefined);
      return next;
    };
  await source.read(
    work,
    serially(async (records: ChangelogSourceRecord[]) => {
      for (const r of records) {
        const store = storeByTopic.get(r.topic) as string;
        const restorer = restorers.get(store) as StoreRestorer;
        restorer.add({ key: r.key ?? Buffer.alloc(0), value: r.value, offset: BigInt(r.offset) });
        restored.set(store, (restored.get(store) ?? 0) + 1);
      }
      for (const restorer of restorers.values()) await restorer.flushIfFull();
      const last = records[records.length - 1];
      const store = last ? storeByTopic.get(last.topic) : undefined;
      if (store) options.onRestored(store, records.length);
      remaining = Math.max(0, remaining - records.length);
      options.onRemaining(remaining);
      if (performance.now() - lastReport > PROGRESS_EVERY_MS) {
        lastReport = performance.now();
        log.info({ restored: Object.fromEntries(restored), remaining }, 'restore progress');
      }
    }),
    { heartbeat: options.heartbeat },
  );
  // The read covered each range whole: its checkpoint passes the markers at its end too.
  for (const w of work) (restorers.get(w.store) as StoreRestorer).advanceTo(BigInt(w.to));
  for (const restorer of restorers.values()) await restorer.finish();
  options.onRemaining(0);
  const total = [...restored.values()].reduce((a, b) => a + b, 0);
  const elapsedMs = performance.now() - started;
  log.info(
    { restored: Object.fromEntries(restored), total, elapsedMs: Math.round(elapsedMs) },
    'restore complete',
  );
  return { restored, total, elapsedMs };
}
