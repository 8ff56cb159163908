import { describe, expect, it } from 'vitest';
import { StateManager, StoreArgumentError, int64Serde, stringSerde } from '../../../state/index.ts';
import type { KeyRange } from '../../../state/index.ts';
import type { StoreEngine } from '../../../state/store-engine.ts';
import { windowKey } from '../../../state/window-key.ts';
import { collect, useTempStateDir } from './temp-state-dir.ts';
import { storeEngineOf } from '../../../state/state-manager.ts';

const stateDir = useTempStateDir();
const MINUTE = 60_000;

async function openState(retentionMs = 60 * MINUTE): Promise<StateManager> {
  return stateDir.closeAfter(
    await StateManager.open({
      appId: 'saldo',
      taskId: '0_4',
      stateDir: stateDir.path,
      stores: [{ name: 'velocity', kind: 'windowed', retentionMs }],
    }),
  );
}

async function commit(state: StateManager, checkpoint: bigint): Promise<void> {
  state.transaction().changelogRecords();
  await state.transaction().flush(new Map([['velocity', checkpoint]]));
}

describe('WindowedStore', () => {
  it("fetches a key's windows between inclusive bounds in ascending time, from disk and buffer alike", async () => {
    const state = await openState();
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    velocity.put('card1', 3 * MINUTE, 3n);
    velocity.put('card1', 1 * MINUTE, 1n);
    await commit(state, 1n);
    velocity.put('card1', 2 * MINUTE, 2n);
    velocity.put('card1', 4 * MINUTE, 4n);
    velocity.put('card1', 3 * MINUTE, 33n);

    expect(await collect(velocity.fetch('card1', 1 * MINUTE, 3 * MINUTE))).toEqual([
      [1 * MINUTE, 1n],
      [2 * MINUTE, 2n],
      [3 * MINUTE, 33n],
    ]);
    expect(await collect(velocity.fetch('card1', 3 * MINUTE + 1, 4 * MINUTE - 1))).toEqual([]);
    expect(await collect(velocity.fetch('card1', 4 * MINUTE, 1 * MINUTE))).toEqual([]);
    expect(velocity.get('card1', 2 * MINUTE)).toBe(2n);
    expect(velocity.get('card1', 5 * MINUTE)).toBeUndefined();
  });

  it('never mixes up keys where one is a prefix of another', async () => {
    const state = await openState();
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    velocity.put('ab', MINUTE, 1n);
    velocity.put('abc', MINUTE, 2n);
    velocity.put('a', MINUTE, 3n);
    velocity.put('', MINUTE, 4n);
    await commit(state, 1n);
    expect(await collect(velocity.fetch('ab', 0, Number.MAX_SAFE_INTEGER))).toEqual([[MINUTE, 1n]]);
    expect(await collect(velocity.fetch('', 0, Number.MAX_SAFE_INTEGER))).toEqual([[MINUTE, 4n]]);
  });

  it('hides windows older than stream time minus retention and refuses to write into them', async () => {
    const state = await openState(10 * MINUTE);
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    velocity.put('card1', 1 * MINUTE, 1n);
    velocity.put('card1', 5 * MINUTE, 5n);
    expect(velocity.put('card1', 12 * MINUTE, 12n)).toBe(true);

    expect(velocity.observedStreamTimeMs).toBe(12 * MINUTE);
    expect(velocity.get('card1', 1 * MINUTE)).toBeUndefined();
    expect(velocity.get('card1', 5 * MINUTE)).toBe(5n);
    expect(await collect(velocity.fetch('card1', 0, 20 * MINUTE))).toEqual([
      [5 * MINUTE, 5n],
      [12 * MINUTE, 12n],
    ]);
    expect(velocity.put('card1', 1 * MINUTE, 99n)).toBe(false);
  });

  it('expire deletes expired windows through the transaction, so the changelog gets tombstones', async () => {
    const state = await openState(10 * MINUTE);
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    velocity.put('card1', 1 * MINUTE, 1n);
    velocity.put('card2', 2 * MINUTE, 2n);
    velocity.put('card2', 9 * MINUTE, 9n);
    await commit(state, 1n);
    velocity.put('card3', 3 * MINUTE, 3n);

    expect(await velocity.expire(15 * MINUTE)).toBe(3);
    const records = state.transaction().changelogRecords();
    expect(records.filter((record) => record.value === null)).toHaveLength(3);
    await state.transaction().flush(new Map([['velocity', 2n]]));

    // The window left, and its entry in the time index.
    const left = await collect(storeEngineOf(state, 'velocity').iterate());
    expect(left).toHaveLength(2);
    expect(await collect(velocity.fetch('card2', 0, 20 * MINUTE))).toEqual([[9 * MINUTE, 9n]]);
  });

  it('a rolled-back record does not advance stream time', async () => {
    const state = await openState(10 * MINUTE);
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    velocity.put('card1', 1 * MINUTE, 1n);
    const transaction = state.transaction();
    transaction.beginRecord();
    velocity.put('card1', 1_000 * MINUTE, 666n);
    transaction.rollbackRecord();

    expect(velocity.observedStreamTimeMs).toBe(1 * MINUTE);
    expect(velocity.get('card1', 1 * MINUTE)).toBe(1n);
    expect(velocity.get('card1', 1_000 * MINUTE)).toBeUndefined();
  });

  it('shares observed stream time between handles on the same store', async () => {
    const state = await openState(10 * MINUTE);
    state.windowedStore('velocity', stringSerde, int64Serde).observeStreamTime(30 * MINUTE);
    const other = state.windowedStore('velocity', stringSerde, int64Serde);
    expect(other.observedStreamTimeMs).toBe(30 * MINUTE);
    expect(other.put('card1', 5 * MINUTE, 1n)).toBe(false);
  });

  it('rejects window times that are negative, fractional or beyond exact integers', async () => {
    const state = await openState();
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    expect(() => velocity.put('card1', -1, 1n)).toThrow(StoreArgumentError);
    expect(() => velocity.put('card1', 1.5, 1n)).toThrow(StoreArgumentError);
    expect(() => velocity.get('card1', 2 ** 53)).toThrow(StoreArgumentError);
    expect(() => velocity.fetch('card1', Number.NaN, 1)).toThrow(StoreArgumentError);
  });

  it('expires by reading only the expired windows, however large the store', async () => {
    const state = await openState(10 * MINUTE);
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    // 2,000 live windows and 5 that will expire.
    for (let card = 0; card < 2_000; card++) velocity.put(`card${card}`, 100 * MINUTE, 1n);
    for (let card = 0; card < 5; card++) velocity.put(`old${card}`, 95 * MINUTE - card, 1n);
    await commit(state, 1n);
    const reads = countReads(storeEngineOf(state, 'velocity'));

    expect(await velocity.expire(106 * MINUTE)).toBe(5);
    expect(reads()).toBe(5);
    await commit(state, 2n);
    expect(await collect(velocity.fetch('old0', 0, 200 * MINUTE))).toEqual([]);
    expect(await velocity.expire(106 * MINUTE)).toBe(0);
  });

  it('fetchAll hands out every key’s live windows in a time span, by window start then key bytes', async () => {
    const state = await openState(10 * MINUTE);
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    velocity.put('b', 12 * MINUTE, 3n);
    velocity.put('a', 12 * MINUTE, 2n);
    velocity.put('c', 11 * MINUTE, 1n);
    velocity.put('a', 20 * MINUTE, 4n);
    await commit(state, 1n);
    velocity.put('d', 15 * MINUTE, 5n); // buffered, not yet on disk
    velocity.delete('b', 12 * MINUTE);
    const span = async (from: number, to: number) =>
      (await collect(velocity.fetchAll(from, to))).map(
        (w) => `${w.key}@${w.windowStartMs / MINUTE}=${w.value}`,
      );

    expect(await span(0, 30 * MINUTE)).toEqual(['c@11=1', 'a@12=2', 'd@15=5', 'a@20=4']);
    expect(await span(12 * MINUTE, 15 * MINUTE)).toEqual(['a@12=2', 'd@15=5']);
    // Stream time 20 minutes, retention 10: windows before minute 10 are expired and never handed out.
    velocity.observeStreamTime(22 * MINUTE);
    expect(await span(0, 30 * MINUTE)).toEqual(['a@12=2', 'd@15=5', 'a@20=4']);
    expect(() => velocity.fetchAll(0.5, 1)).toThrow(StoreArgumentError);
  });

  it('restoration derives the time index again: a restored store expires its windows', async () => {
    const state = await openState(10 * MINUTE);
    const restorer = state.restorer('velocity');
    const value = int64Serde.serialize(1n);
    restorer.add({ key: windowKey(Buffer.from('card1'), 1 * MINUTE), value, offset: 0n });
    restorer.add({ key: windowKey(Buffer.from('card2'), 2 * MINUTE), value, offset: 1n });
    restorer.add({ key: windowKey(Buffer.from('card2'), 2 * MINUTE), value: null, offset: 2n });
    restorer.add({ key: windowKey(Buffer.from('card3'), 30 * MINUTE), value, offset: 3n });
    await restorer.finish();
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    // card2's window was deleted on the changelog: its index entry is stale and only dropped.
    expect(await velocity.expire(30 * MINUTE)).toBe(1);
    const records = state.transaction().changelogRecords();
    expect(records.map((r) => r.key)).toEqual([windowKey(Buffer.from('card1'), 1 * MINUTE)]);
  });

  it('builds the time index of a store written without one, at open', async () => {
    const first = await openState(10 * MINUTE);
    const value = int64Serde.serialize(1n);
    await storeEngineOf(first, 'velocity').writeBatch(
      [
        { key: windowKey(Buffer.from('card1'), 1 * MINUTE), value },
        { key: windowKey(Buffer.from('card2'), 30 * MINUTE), value },
      ],
      7n,
    );
    await first.close();
    const state = await openState(10 * MINUTE);
    expect(state.checkpoint('velocity')).toBe(7n);
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde);
    expect(await velocity.expire(30 * MINUTE)).toBe(1);
  });

  it("expires by the task's stream time when it is ahead of the store's own, as after a restart", async () => {
    const state = await openState(10 * MINUTE);
    let taskStreamTime = -1;
    const velocity = state.windowedStore('velocity', stringSerde, int64Serde, () => taskStreamTime);
    velocity.put('card1', 1 * MINUTE, 1n);
    await commit(state, 1n);
    expect(velocity.get('card1', 1 * MINUTE)).toBe(1n);
    taskStreamTime = 30 * MINUTE;
    expect(velocity.observedStreamTimeMs).toBe(30 * MINUTE);
    expect(velocity.get('card1', 1 * MINUTE)).toBeUndefined();
    expect(await velocity.expire()).toBe(1);
  });
});

/** Counts the entries the engine hands to iterations from now on. */
function countReads(engine: StoreEngine): () => number {
  const iterate = engine.iterate.bind(engine);
  let read = 0;
  engine.iterate = async function* counted(range?: KeyRange) {
    for await (const entry of iterate(range)) {
      read += 1;
      yield entry;
    }
  };
  return () => read;
}
