import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  StateManager,
  StoreArgumentError,
  stringSerde,
  type ChangelogRecord,
  type TtlKeyValueStore,
} from '../../../state/index.ts';
import { StoreEngine } from '../../../state/store-engine.ts';
import { collect, useTempStateDir } from './temp-state-dir.ts';
import { storeEngineOf } from '../../../state/state-manager.ts';

const stateDir = useTempStateDir();
const DAY = 24 * 60 * 60 * 1000;

const spec = (ttlMs = 10 * DAY) => ({ name: 'seen', kind: 'ttl-key-value' as const, ttlMs });

async function openState(taskId = '0_1', ttlMs?: number): Promise<StateManager> {
  return stateDir.closeAfter(
    await StateManager.open({ appId: 'saldo', taskId, stateDir: stateDir.path, stores: [spec(ttlMs)] }),
  );
}

/** A store handle whose stream time the test sets, as a task's records would. */
function handle(state: StateManager): { store: TtlKeyValueStore<string, string>; clock: { now: number } } {
  const clock = { now: -1 };
  const store = state.ttlKeyValueStore('seen', stringSerde, stringSerde, () => clock.now);
  return { store, clock };
}

let nextCheckpoint = 1n;
/** Commits the transaction as a task would: the changelog records out, then the flush. */
async function commit(state: StateManager): Promise<ChangelogRecord[]> {
  const records = state.transaction().changelogRecords();
  await state.transaction().flush(records.length > 0 ? new Map([['seen', nextCheckpoint++]]) : new Map());
  return records;
}

/** Raw entries in LevelDB: the store's entries and its index together. */
async function rawEntries(state: StateManager): Promise<number> {
  return (await collect(storeEngineOf(state, 'seen').iterate())).length;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('TTL key-value store', () => {
  it('keeps an entry visible until the stream time reaches its expiry (default: stream time + TTL)', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 1_000;
    expect(store.put('tx-1', 'a')).toBe(true);
    expect(store.entry('tx-1')).toEqual({ value: 'a', expiresAtMs: 1_000 + 10 * DAY });
    await commit(state);

    clock.now = 1_000 + 10 * DAY - 1;
    expect(store.get('tx-1')).toBe('a');
    clock.now = 1_000 + 10 * DAY;
    expect(store.get('tx-1')).toBeUndefined();
    expect(store.entry('tx-1')).toBeUndefined();
  });

  it('shows an expired entry that no sweep has deleted yet to peek(), saying so', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    store.put('hold', 'h', 100);
    expect(store.peek('hold')).toEqual({ value: 'h', expiresAtMs: 100, expired: false });
    clock.now = 100;
    expect(store.get('hold')).toBeUndefined();
    expect(store.peek('hold')).toEqual({ value: 'h', expiresAtMs: 100, expired: true });
    expect(store.peek('never')).toBeUndefined();
  });

  it('puts if absent with one read: a live entry wins and nothing is written; an expired one is replaced', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 1_000;
    const reads = vi.spyOn(StoreEngine.prototype, 'read');
    expect(store.putIfAbsent('tx-1', 'first', 2_000)).toBeUndefined();
    expect(reads).toHaveBeenCalledTimes(1);
    expect(store.putIfAbsent('tx-1', 'second', 9_000)).toBe('first');
    expect(store.entry('tx-1')).toEqual({ value: 'first', expiresAtMs: 2_000 });
    await commit(state);
    clock.now = 2_000;
    expect(store.putIfAbsent('tx-1', 'again', 3_000)).toBeUndefined();
    expect(store.entry('tx-1')).toEqual({ value: 'again', expiresAtMs: 3_000 });
    await commit(state);
    expect(await rawEntries(state)).toBe(2); // the old index entry went with the old entry
  });

  it('takes an explicit expiry, and refuses one already past (deleting what the key held)', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 5_000;
    store.put('hold-1', 'held', 9_000);
    expect(store.entry('hold-1')?.expiresAtMs).toBe(9_000);
    expect(store.put('hold-1', 'late', 5_000)).toBe(false);
    expect(store.get('hold-1')).toBeUndefined();
    clock.now = 4_000;
    expect(store.get('hold-1')).toBeUndefined(); // deleted, not merely invisible
    expect(() => store.put('hold-2', 'x', -1)).toThrow(StoreArgumentError);
    expect(() => store.put('hold-2', 'x', 1.5)).toThrow(StoreArgumentError);
  });

  it('purges expired entries with tombstones to the changelog and never logs the index', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    store.put('early', 'e', 100);
    store.put('late', 'l', 200);
    const written = await commit(state);
    // Only the two entries go to the changelog; their index entries stay local.
    expect(written).toHaveLength(2);
    expect(await rawEntries(state)).toBe(4);

    clock.now = 150;
    expect(await store.purgeExpired()).toBe(1);
    const purged = await commit(state);
    expect(purged).toHaveLength(1);
    expect(purged[0]?.value).toBeNull();
    expect(await rawEntries(state)).toBe(2);
    clock.now = 0;
    expect(store.get('late')).toBe('l');
    expect(store.get('early')).toBeUndefined();
  });

  it('expires by reading only the expired part of its index, not the whole store', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    for (let i = 0; i < 2_000; i++) store.put(`live-${i}`, 'v', 1_000_000 + i);
    for (let i = 0; i < 3; i++) store.put(`old-${i}`, 'v', 10 + i);
    await commit(state);

    const visited: number[] = [];
    const iterate = StoreEngine.prototype.iterate;
    vi.spyOn(StoreEngine.prototype, 'iterate').mockImplementation(async function* (this: StoreEngine, range) {
      let count = 0;
      for await (const entry of iterate.call(this, range)) {
        count += 1;
        yield entry;
      }
      visited.push(count);
    });
    clock.now = 500;
    expect(await store.purgeExpired()).toBe(3);
    expect(visited).toEqual([3]);
  });

  it('hands out expired entries in expiry order and keeps them (invisible) until deleted', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    store.put('b', 'B', 30);
    store.put('a', 'A', 20);
    store.put('c', 'C', 99);
    await commit(state);
    clock.now = 50;
    const first = await collect(store.expired());
    expect(first).toEqual([
      { key: 'a', value: 'A', expiresAtMs: 20 },
      { key: 'b', value: 'B', expiresAtMs: 30 },
    ]);
    expect(await collect(store.expired(1))).toEqual([first[0]]);
    store.delete('a');
    expect((await collect(store.expired())).map((entry) => entry.key)).toEqual(['b']);
  });

  it('moves an entry in the index when its expiry changes, so the old expiry does not purge it', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    store.put('k', 'v1', 100);
    await commit(state);
    store.put('k', 'v2', 500);
    await commit(state);
    expect(await rawEntries(state)).toBe(2); // one entry, one index entry: the old one is gone
    clock.now = 200;
    expect(await store.purgeExpired()).toBe(0);
    expect(store.get('k')).toBe('v2');
  });

  it('rolls back a failed record’s entry and index writes together', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    const transaction = state.transaction();
    transaction.beginRecord();
    store.put('k', 'v', 100);
    transaction.rollbackRecord();
    expect(transaction.bufferedWrites).toBe(0);
    expect(await commit(state)).toEqual([]);
    expect(await rawEntries(state)).toBe(0);
  });

  it('restores its index from the changelog, so restored entries expire too', async () => {
    const source = await openState('0_1');
    const { store, clock } = handle(source);
    clock.now = 0;
    store.put('a', 'A', 100);
    store.put('b', 'B', 300);
    store.put('gone', 'G', 200);
    const changelog = await commit(source);
    store.delete('gone');
    changelog.push(...(await commit(source)));

    const restored = await openState('0_2');
    const restorer = restored.restorer('seen');
    changelog.forEach((record, offset) => restorer.add({ ...record, offset: BigInt(offset) }));
    await restorer.finish();
    const copy = handle(restored);
    copy.clock.now = 250;
    expect(copy.store.get('b')).toBe('B');
    // 'gone' left a stale index entry (its tombstone carries no expiry): purged without a tombstone.
    expect(await copy.store.purgeExpired()).toBe(1);
    const purged = await commit(restored);
    expect(purged.map((record) => record.key.toString('latin1'))).toEqual(['\u0000a']);
    expect(await rawEntries(restored)).toBe(2);
    copy.clock.now = 0;
    expect(copy.store.get('a')).toBeUndefined();
  });

  it('commits a sweep that only deleted stale index entries: nothing to the changelog, the checkpoint kept', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    store.put('k', 'v', 100);
    await commit(state);
    store.delete('k');
    await commit(state);
    const checkpoint = state.checkpoint('seen');
    // An index entry left stale (as a restored tombstone leaves one).
    state
      .transaction()
      .store('seen')
      .putLocal(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 50, 107]), Buffer.alloc(0));
    await commit(state);
    expect(await rawEntries(state)).toBe(1);
    clock.now = 60;
    expect(await store.purgeExpired()).toBe(0);
    expect(await commit(state)).toEqual([]);
    expect(await rawEntries(state)).toBe(0);
    expect(state.checkpoint('seen')).toBe(checkpoint);
  });

  it('stays bounded by what the TTL keeps, however many keys pass through it', async () => {
    const state = await openState('0_1', 5 * DAY);
    const { store, clock } = handle(state);
    const perDay = 200;
    for (let day = 0; day < 40; day++) {
      for (let i = 0; i < perDay; i++) {
        clock.now = day * DAY + i * 1_000;
        store.put(`tx-${day}-${i}`, 'seen');
      }
      await store.purgeExpired();
      await commit(state);
      // At most the last five days (and the day being written) of ids, each with its index entry.
      expect(await rawEntries(state)).toBeLessThanOrEqual(2 * 6 * perDay);
    }
  });
});

describe('TTL key-value store sweeps', () => {
  it('read nothing while nothing can have expired, and again once an earlier expiry is written', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 1_000;
    store.put('late', 'a', 1_000 + DAY);
    await commit(state);
    const iterate = vi.spyOn(StoreEngine.prototype, 'iterate');
    clock.now = 2_000;
    expect(await store.purgeExpired()).toBe(0);
    // The sweep, and one look at the next expiry.
    expect(iterate).toHaveBeenCalledTimes(2);
    // Stream time runs on, minute by minute: nothing has expired, nothing is read.
    for (let minute = 1; minute <= 100; minute++) {
      clock.now = 2_000 + minute * 60_000;
      expect(await store.purgeExpired()).toBe(0);
    }
    expect(iterate).toHaveBeenCalledTimes(2);
    // A write expiring sooner is swept when its time comes.
    store.put('soon', 'b', clock.now + 60_000);
    clock.now += 60_000;
    expect(await store.purgeExpired()).toBe(1);
    expect(iterate).toHaveBeenCalledTimes(3);
    // And the first one when the stream time reaches it.
    clock.now = 1_000 + DAY;
    expect([...(await collect(store.expired()))].map((e) => e.key)).toEqual(['late']);
  });

  it('start after the last sweep once it dealt with everything expired, not at the first expiry it ever swept', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    // Something expires every minute of stream time (holds while a backlog is read, say).
    for (let minute = 1; minute <= 5; minute++) store.put(`k${minute}`, 'v', minute * 60_000);
    store.put('far', 'v', DAY);
    await commit(state);
    const starts: string[] = [];
    const iterate = StoreEngine.prototype.iterate;
    vi.spyOn(StoreEngine.prototype, 'iterate').mockImplementation(function (this: StoreEngine, range) {
      const gte = range?.gte;
      starts.push(gte !== undefined && gte.length === 9 ? gte.readBigUInt64BE(1).toString() : 'index start');
      return iterate.call(this, range);
    });
    for (let minute = 1; minute <= 5; minute++) {
      clock.now = minute * 60_000;
      expect(await store.purgeExpired()).toBe(1);
      await commit(state);
    }
    // Each sweep starts just after the previous one's stream time: the deleted index entries
    // below it are not stepped over again.
    expect(starts).toEqual(['index start', '60001', '120001', '180001', '240001']);
  });

  it('hand out again what the caller left as it was, after a sweep that dealt with the rest', async () => {
    const state = await openState();
    const { store, clock } = handle(state);
    clock.now = 0;
    store.put('dealt', 'a', 10);
    store.put('left', 'b', 20);
    store.put('moved', 'c', 30);
    await commit(state);
    clock.now = 50;
    const swept = await collect(store.expired());
    expect(swept.map((e) => e.key)).toEqual(['dealt', 'left', 'moved']);
    store.delete('dealt');
    store.put('moved', 'c', 10_000);
    clock.now = 60;
    expect((await collect(store.expired())).map((e) => e.key)).toEqual(['left']);
    clock.now = 10_000;
    expect((await collect(store.expired())).map((e) => e.key)).toEqual(['left', 'moved']);
  });
});
