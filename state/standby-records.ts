import type { ChangelogSourceRecord } from './changelog-source.ts';
import type { StateManager } from './state-manager.ts';
import type { StoreRestorer } from './store-restorer.ts';

/**
 * A standby's step: applies changelog records read past the restore (any of this task's
 * changelogs, in offset order per partition) to their stores, with their checkpoints. Records at
 * or below a store's checkpoint are skipped (a follower may start a little early). `readUpTo`:
 * every offset of that changelog below `nextOffset` has been read, markers included, so the
 * store's checkpoint moves there. Returns how many records were applied.
 */
export async function applyStandbyRecords(
  state: StateManager,
  records: readonly ChangelogSourceRecord[],
  readUpTo?: { topic: string; nextOffset: number },
): Promise<number> {
  // A task's changelogs are all of its own partition: the topic names the store.
  const storeOf = new Map(state.changelogPartitions().map((c) => [c.topic, c.store]));
  const restorers = new Map<string, StoreRestorer>();
  let applied = 0;
  for (const r of records) {
    const store = storeOf.get(r.topic);
    if (store === undefined) continue;
    const checkpoint = state.checkpoint(store);
    if (checkpoint !== undefined && BigInt(r.offset) < checkpoint) continue;
    let restorer = restorers.get(store);
    if (restorer === undefined) {
      restorer = state.restorer(store);
      restorers.set(store, restorer);
    }
    restorer.add({ key: r.key ?? Buffer.alloc(0), value: r.value, offset: BigInt(r.offset) });
    applied++;
    await restorer.flushIfFull();
  }
  // Offsets read without a record (the markers after a transaction) move the checkpoint as well.
  const store = readUpTo && storeOf.get(readUpTo.topic);
  if (readUpTo && store !== undefined) {
    let restorer = restorers.get(store);
    if (restorer === undefined) {
      restorer = state.restorer(store);
      restorers.set(store, restorer);
    }
    restorer.advanceTo(BigInt(readUpTo.nextOffset));
  }
  for (const restorer of restorers.values()) await restorer.finish();
  return applied;
}
