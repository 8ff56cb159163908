import { describe, expect, it } from 'vitest';
import { StateManager, StoreArgumentError, int64Serde, stringSerde } from '../../../state/index.ts';
import { collect, useTempStateDir } from './temp-state-dir.ts';

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

    const left = await collect(state.engine('velocity').iterate());
    expect(left).toHaveLength(1);
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
});
