import { describe, expect, it } from 'vitest';
import { StateManager, StoreSerdeError, int64Serde, jsonSerde, stringSerde } from '../../../state/index.ts';
import { collect, useTempStateDir } from './temp-state-dir.ts';

const stateDir = useTempStateDir();

interface Balance {
  amountMinor: bigint;
  currency: string;
}

async function openState(): Promise<StateManager> {
  return stateDir.closeAfter(
    await StateManager.open({
      appId: 'saldo',
      taskId: '0_2',
      stateDir: stateDir.path,
      stores: [{ name: 'balances', kind: 'key-value' }],
    }),
  );
}

async function commit(state: StateManager, checkpoint: bigint): Promise<void> {
  state.transaction().changelogRecords();
  await state.transaction().flush(new Map([['balances', checkpoint]]));
}

describe('KeyValueStore', () => {
  it('gets, puts and deletes typed values, before and after a commit', async () => {
    const state = await openState();
    const balances = state.keyValueStore('balances', stringSerde, jsonSerde<Balance>());
    balances.put('NL01', { amountMinor: 12_345n, currency: 'EUR' });
    balances.put('NL02', { amountMinor: -1n, currency: 'EUR' });
    expect(balances.get('NL01')).toEqual({ amountMinor: 12_345n, currency: 'EUR' });

    await commit(state, 1n);
    balances.delete('NL02');
    expect(balances.get('NL01')?.amountMinor).toBe(12_345n);
    expect(balances.get('NL02')).toBeUndefined();
    expect(balances.get('NL03')).toBeUndefined();
  });

  it('ranges over serialized keys with both bounds inclusive, open ends and reverse order', async () => {
    const state = await openState();
    const counts = state.keyValueStore('balances', stringSerde, int64Serde);
    for (const [key, value] of [
      ['a', 1n],
      ['b', 2n],
      ['c', 3n],
    ] as const)
      counts.put(key, value);
    await commit(state, 1n);
    counts.put('d', 4n);
    counts.delete('b');

    expect(await collect(counts.range('a', 'c'))).toEqual([
      ['a', 1n],
      ['c', 3n],
    ]);
    expect(await collect(counts.range('b', undefined))).toEqual([
      ['c', 3n],
      ['d', 4n],
    ]);
    expect(await collect(counts.range(undefined, 'c', { reverse: true }))).toEqual([
      ['c', 3n],
      ['a', 1n],
    ]);
    expect(await collect(counts.range(undefined, undefined, { limit: 1 }))).toEqual([['a', 1n]]);
  });

  it('prefix-scans the keys whose bytes start with the prefix, and no others', async () => {
    const state = await openState();
    const counts = state.keyValueStore('balances', stringSerde, int64Serde);
    counts.put('acct:1', 1n);
    counts.put('acct:2', 2n);
    counts.put('acct', 0n);
    counts.put('acct;', 9n);
    await commit(state, 1n);
    counts.put('acct:3', 3n);
    counts.delete('acct:1');

    expect(await collect(counts.prefixScan(Buffer.from('acct:')))).toEqual([
      ['acct:2', 2n],
      ['acct:3', 3n],
    ]);
    expect((await collect(counts.prefixScan(Buffer.alloc(0)))).map(([key]) => key)).toEqual([
      'acct',
      'acct:2',
      'acct:3',
      'acct;',
    ]);
  });

  it('prefix-scans up to the end of the key space when the prefix is all 0xff bytes', async () => {
    const state = await openState();
    const raw = state.keyValueStore(
      'balances',
      { serialize: (key: Buffer) => key, deserialize: (bytes) => bytes },
      int64Serde,
    );
    raw.put(Buffer.from([0xff]), 1n);
    raw.put(Buffer.from([0xff, 0xff, 0x01]), 2n);
    raw.put(Buffer.from([0xfe, 0xff]), 3n);
    const found = await collect(raw.prefixScan(Buffer.from([0xff, 0xff])));
    expect(found.map(([, value]) => value)).toEqual([2n]);
  });

  it('names the store when stored bytes cannot be decoded', async () => {
    const state = await openState();
    state.keyValueStore('balances', stringSerde, stringSerde).put('NL01', 'not json');
    const balances = state.keyValueStore('balances', stringSerde, jsonSerde<Balance>());
    const error = (() => {
      try {
        return balances.get('NL01');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(StoreSerdeError);
    expect((error as StoreSerdeError).storeName).toBe('balances');
    expect((error as StoreSerdeError).taskId).toBe('0_2');
  });
});
