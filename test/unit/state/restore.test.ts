import { describe, expect, it } from 'vitest';
import { StateManager, StoreArgumentError, int64Serde, stringSerde } from '../../../state/index.ts';
import { storeEngineOf } from '../../../state/state-manager.ts';
import { StoreRestorer, type ChangelogEntry } from '../../../state/store-restorer.ts';
import { bytes, collect, text, useTempStateDir } from './temp-state-dir.ts';

const stateDir = useTempStateDir();
const options = (taskId = '0_5') => ({
  appId: 'saldo',
  taskId,
  stateDir: stateDir.path,
  stores: [{ name: 'balances', kind: 'key-value' as const }],
});
const openState = async (taskId?: string) => stateDir.closeAfter(await StateManager.open(options(taskId)));

function changelog(count: number, firstOffset = 0n): ChangelogEntry[] {
  return Array.from({ length: count }, (_, index) => ({
    key: bytes(`k${index}`),
    value: bytes(`v${index}`),
    offset: firstOffset + BigInt(index) * 2n, // gaps, as transaction markers leave them
  }));
}

describe('StoreRestorer', () => {
  it('writes full batches only, each with the checkpoint after its last record', async () => {
    const state = await openState();
    const restorer = new StoreRestorer(storeEngineOf(state, 'balances'), { batchSize: 3 });
    const records = changelog(7, 100n);
    for (const record of records) {
      restorer.add(record);
      await restorer.flushIfFull();
    }
    expect(restorer.restored).toBe(6);
    expect(restorer.pending).toBe(1);
    expect(state.checkpoint('balances')).toBe(111n); // offset 110 was the 6th record
    expect(storeEngineOf(state, 'balances').getSync(bytes('k6'))).toBeUndefined();

    await restorer.finish();
    expect(restorer.restored).toBe(7);
    expect(state.checkpoint('balances')).toBe(113n);
    expect(text(storeEngineOf(state, 'balances').getSync(bytes('k6')))).toBe('v6');
  });

  it('after an interrupted restore, the checkpoint says where to resume and earlier offsets are refused', async () => {
    const records = changelog(10);
    const interrupted = await StateManager.open(options());
    const first = new StoreRestorer(storeEngineOf(interrupted, 'balances'), { batchSize: 4 });
    for (const record of records) {
      first.add(record);
      await first.flushIfFull();
      if (first.restored === 8) break; // the process dies here, two batches in
    }
    await interrupted.close();

    const resumed = await openState();
    const resumeFrom = resumed.checkpoint('balances') as bigint;
    expect(resumeFrom).toBe(15n); // offset 14 was the 8th record
    const second = new StoreRestorer(storeEngineOf(resumed, 'balances'), { batchSize: 4 });
    expect(() => second.add({ key: bytes('k7'), value: bytes('v7'), offset: 14n })).toThrow(
      StoreArgumentError,
    );
    for (const record of records.filter((candidate) => candidate.offset >= resumeFrom)) second.add(record);
    await second.finish();
    expect(second.restored).toBe(2);
    expect(await collect(storeEngineOf(resumed, 'balances').iterate())).toHaveLength(10);
  });

  it('applies tombstones as deletes and refuses offsets out of order', async () => {
    const state = await openState();
    const restorer = new StoreRestorer(storeEngineOf(state, 'balances'));
    restorer.add({ key: bytes('a'), value: bytes('1'), offset: 0n });
    restorer.add({ key: bytes('b'), value: bytes('2'), offset: 1n });
    restorer.add({ key: bytes('a'), value: null, offset: 2n });
    expect(() => restorer.add({ key: bytes('c'), value: bytes('3'), offset: 2n })).toThrow(
      StoreArgumentError,
    );
    await restorer.finish();
    expect(storeEngineOf(state, 'balances').getSync(bytes('a'))).toBeUndefined();
    expect(text(storeEngineOf(state, 'balances').getSync(bytes('b')))).toBe('2');
    expect(state.checkpoint('balances')).toBe(3n);
  });

  it('rebuilds from the changelog records of a task the same state the task had', async () => {
    const original = await openState('0_5');
    const balances = original.keyValueStore('balances', stringSerde, int64Serde);
    const sent: ChangelogEntry[] = [];
    let nextOffset = 0n;
    for (const round of [1n, 2n, 3n]) {
      balances.put('NL01', 100n * round);
      balances.put(`NL0${round + 1n}`, round);
      if (round === 3n) balances.delete('NL02');
      for (const record of original.transaction().changelogRecords()) {
        sent.push({ key: record.key, value: record.value, offset: nextOffset });
        nextOffset += 1n;
      }
      await original.transaction().flush(new Map([['balances', nextOffset]]));
    }

    const rebuilt = await openState('1_5');
    const restorer = new StoreRestorer(storeEngineOf(rebuilt, 'balances'));
    for (const record of sent) restorer.add(record);
    await restorer.finish();

    const rebuiltBalances = rebuilt.keyValueStore('balances', stringSerde, int64Serde);
    expect(await collect(rebuiltBalances.range(undefined, undefined))).toEqual(
      await collect(balances.range(undefined, undefined)),
    );
    expect(await collect(rebuiltBalances.range(undefined, undefined))).toEqual([
      ['NL01', 300n],
      ['NL03', 2n],
      ['NL04', 3n],
    ]);
    expect(rebuilt.checkpoint('balances')).toBe(original.checkpoint('balances'));
  });
});
