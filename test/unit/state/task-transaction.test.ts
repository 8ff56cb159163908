import { describe, expect, it } from 'vitest';
import {
  CheckpointRegressionError,
  StateManager,
  StoreArgumentError,
  TransactionFlushError,
  TransactionStateError,
  UnknownStoreError,
} from '../../../state/index.ts';
import { StoreRestorer } from '../../../state/store-restorer.ts';
import { bytes, collect, text, useTempStateDir } from './temp-state-dir.ts';
import { storeEngineOf } from '../../../state/state-manager.ts';

const stateDir = useTempStateDir();

async function openState(options: { cacheMaxBytes?: number } = {}): Promise<StateManager> {
  return stateDir.closeAfter(
    await StateManager.open({
      appId: 'saldo',
      taskId: '0_1',
      stateDir: stateDir.path,
      stores: [
        { name: 'balances', kind: 'key-value' },
        { name: 'holds', kind: 'key-value' },
      ],
      ...options,
    }),
  );
}

/** Puts through a transaction, commits it with the given checkpoints and flushes. */
async function committed(
  state: StateManager,
  writes: Record<string, string | null>,
  checkpoint: bigint,
): Promise<void> {
  const transaction = state.transaction();
  const balances = transaction.store('balances');
  for (const [key, value] of Object.entries(writes)) {
    if (value === null) balances.delete(bytes(key));
    else balances.put(bytes(key), bytes(value));
  }
  transaction.changelogRecords();
  await transaction.flush(new Map([['balances', checkpoint]]));
}

const scan = async (iterable: AsyncIterable<[Buffer, Buffer]>) =>
  (await collect(iterable)).map(([key, value]) => `${text(key)}=${text(value)}`);

describe('TaskTransaction', () => {
  it('reads its own buffered writes, and a buffered delete reads as absent even when the key is on disk', async () => {
    const state = await openState();
    await committed(state, { acct1: '100' }, 1n);
    const balances = state.transaction().store('balances');

    balances.put(bytes('acct2'), bytes('200'));
    expect(text(balances.get(bytes('acct2')))).toBe('200');
    balances.put(bytes('acct2'), bytes('250'));
    expect(text(balances.get(bytes('acct2')))).toBe('250');
    balances.delete(bytes('acct1'));
    expect(balances.get(bytes('acct1'))).toBeUndefined();
    expect(text(storeEngineOf(state, 'balances').getSync(bytes('acct1')))).toBe('100');
  });

  it('writes nothing to LevelDB before flush', async () => {
    const options = {
      appId: 'saldo',
      taskId: '0_1',
      stateDir: stateDir.path,
      stores: [{ name: 'balances', kind: 'key-value' as const }],
    };
    const state = await StateManager.open(options);
    state.transaction().store('balances').put(bytes('acct1'), bytes('100'));
    expect(storeEngineOf(state, 'balances').getSync(bytes('acct1'))).toBeUndefined();
    await state.close();

    const reopened = stateDir.closeAfter(await StateManager.open(options));
    expect(storeEngineOf(reopened, 'balances').getSync(bytes('acct1'))).toBeUndefined();
    expect(reopened.checkpoint('balances')).toBeUndefined();
  });

  it('flush writes the buffered state and each store checkpoint, and a reopened store reads both', async () => {
    const options = {
      appId: 'saldo',
      taskId: '0_1',
      stateDir: stateDir.path,
      stores: [{ name: 'balances', kind: 'key-value' as const }],
    };
    const state = await StateManager.open(options);
    await committed(state, { acct1: '100', acct2: '200' }, 41n);
    expect(state.transaction().bufferedWrites).toBe(0);
    await state.close();

    const reopened = stateDir.closeAfter(await StateManager.open(options));
    expect(reopened.checkpoints()).toEqual(new Map([['balances', 41n]]));
    expect(text(storeEngineOf(reopened, 'balances').getSync(bytes('acct2')))).toBe('200');
  });

  it('abort discards the buffered writes, leaves disk untouched and opens a new transaction', async () => {
    const state = await openState();
    await committed(state, { acct1: '100' }, 7n);
    const transaction = state.transaction();
    transaction.store('balances').put(bytes('acct1'), bytes('999'));
    transaction.store('holds').put(bytes('h1'), bytes('5'));
    transaction.changelogRecords();

    transaction.abort();
    expect(transaction.status).toBe('open');
    expect(transaction.bufferedWrites).toBe(0);
    expect(text(transaction.store('balances').get(bytes('acct1')))).toBe('100');
    expect(transaction.store('holds').get(bytes('h1'))).toBeUndefined();
    expect(state.checkpoints()).toEqual(
      new Map([
        ['balances', 7n],
        ['holds', undefined],
      ]),
    );
  });

  it('rolling back a record undoes all its writes across stores and keeps earlier records', async () => {
    const state = await openState();
    await committed(state, { acct1: '100', acct3: '300' }, 1n);
    const transaction = state.transaction();
    const balances = transaction.store('balances');
    const holds = transaction.store('holds');

    transaction.beginRecord();
    balances.put(bytes('acct1'), bytes('90'));
    holds.put(bytes('h1'), bytes('10'));
    transaction.commitRecord();

    transaction.beginRecord();
    balances.put(bytes('acct1'), bytes('80'));
    balances.put(bytes('acct1'), bytes('70'));
    balances.put(bytes('acct2'), bytes('20'));
    balances.delete(bytes('acct3'));
    holds.delete(bytes('h1'));
    transaction.rollbackRecord();

    expect(text(balances.get(bytes('acct1')))).toBe('90');
    expect(balances.get(bytes('acct2'))).toBeUndefined();
    expect(text(balances.get(bytes('acct3')))).toBe('300');
    expect(text(holds.get(bytes('h1')))).toBe('10');
    expect(transaction.bufferedWrites).toBe(2);
    const changelog = transaction
      .changelogRecords()
      .map((record) => `${record.store}:${text(record.key)}=${text(record.value ?? undefined)}`);
    expect(changelog.sort()).toEqual(['balances:acct1=90', 'holds:h1=10']);
  });

  it('gives one changelog record per store and key: the last value, or a null tombstone for a delete', async () => {
    const state = await openState();
    await committed(state, { gone: 'x' }, 1n);
    const transaction = state.transaction();
    const balances = transaction.store('balances');
    balances.put(bytes('acct1'), bytes('1'));
    balances.put(bytes('acct1'), bytes('2'));
    balances.put(bytes('acct1'), bytes('3'));
    balances.delete(bytes('gone'));
    balances.put(bytes('revived'), bytes('a'));
    balances.delete(bytes('revived'));
    balances.delete(bytes('revived'));
    transaction.store('holds').put(bytes('acct1'), bytes('h'));

    const records = transaction.changelogRecords();
    const summary = records.map((record) => [
      record.store,
      text(record.key),
      record.value === null ? null : text(record.value),
    ]);
    expect(summary).toHaveLength(4);
    expect(summary).toEqual(
      expect.arrayContaining([
        ['balances', 'acct1', '3'],
        ['balances', 'gone', null],
        ['balances', 'revived', null],
        ['holds', 'acct1', 'h'],
      ]),
    );
  });

  it('freezes writes between changelogRecords() and flush(), so LevelDB gets exactly what the changelog got', async () => {
    const state = await openState();
    const transaction = state.transaction();
    transaction.store('balances').put(bytes('acct1'), bytes('1'));
    transaction.changelogRecords();
    expect(transaction.status).toBe('prepared');
    expect(() => transaction.store('balances').put(bytes('acct1'), bytes('2'))).toThrow(
      TransactionStateError,
    );
    expect(() => transaction.beginRecord()).toThrow(TransactionStateError);
    expect(text(transaction.store('balances').get(bytes('acct1')))).toBe('1');
    await transaction.flush(new Map([['balances', 2n]]));
    expect(transaction.status).toBe('open');
  });

  it('rejects calls made in the wrong status or out of record order', async () => {
    const state = await openState();
    const transaction = state.transaction();
    await expect(transaction.flush(new Map())).rejects.toThrow(TransactionStateError);
    expect(() => transaction.commitRecord()).toThrow(TransactionStateError);
    expect(() => transaction.rollbackRecord()).toThrow(TransactionStateError);
    transaction.beginRecord();
    expect(() => transaction.beginRecord()).toThrow(TransactionStateError);
    expect(() => transaction.changelogRecords()).toThrow(/still being processed/);
    transaction.commitRecord();
    transaction.changelogRecords();
    expect(() => transaction.changelogRecords()).toThrow(TransactionStateError);
  });

  it('flush needs a checkpoint for every store with writes and knows only its own stores', async () => {
    const state = await openState();
    const transaction = state.transaction();
    transaction.store('balances').put(bytes('acct1'), bytes('1'));
    transaction.changelogRecords();
    await expect(transaction.flush(new Map([['holds', 3n]]))).rejects.toThrow(StoreArgumentError);
    await expect(
      transaction.flush(
        new Map([
          ['balances', 3n],
          ['ledger', 3n],
        ]),
      ),
    ).rejects.toThrow(UnknownStoreError);
    expect(transaction.status).toBe('prepared');
    expect(storeEngineOf(state, 'balances').getSync(bytes('acct1'))).toBeUndefined();
    expect(() => transaction.store('ledger')).toThrow(UnknownStoreError);
  });

  it('records a new checkpoint for a store without writes', async () => {
    const state = await openState();
    const transaction = state.transaction();
    transaction.store('balances').put(bytes('acct1'), bytes('1'));
    transaction.changelogRecords();
    await transaction.flush(
      new Map([
        ['balances', 10n],
        ['holds', 4n],
      ]),
    );
    expect(state.checkpoints()).toEqual(
      new Map([
        ['balances', 10n],
        ['holds', 4n],
      ]),
    );
  });

  it('counts buffered keys and bytes, and forgets them on rollback and flush', async () => {
    const state = await openState();
    const transaction = state.transaction();
    transaction.store('balances').put(bytes('ab'), bytes('1234'));
    transaction.store('balances').put(bytes('ab'), bytes('12'));
    transaction.store('holds').delete(bytes('xyz'));
    expect(transaction.bufferedWrites).toBe(2);
    expect(transaction.bufferedBytes).toBe(2 + 2 + 3);

    transaction.beginRecord();
    transaction.store('holds').put(bytes('h2'), bytes('1234567890'));
    transaction.store('balances').put(bytes('ab'), bytes('123456'));
    expect(transaction.bufferedBytes).toBe(2 + 6 + 3 + 2 + 10);
    transaction.rollbackRecord();
    expect(transaction.bufferedWrites).toBe(2);
    expect(transaction.bufferedBytes).toBe(2 + 2 + 3);

    transaction.changelogRecords();
    await transaction.flush(
      new Map([
        ['balances', 1n],
        ['holds', 1n],
      ]),
    );
    expect(transaction.bufferedWrites).toBe(0);
    expect(transaction.bufferedBytes).toBe(0);
  });

  it('fails for good when a store cannot be flushed, until the state manager is closed', async () => {
    const state = await openState();
    await committed(state, { acct1: '1' }, 50n);
    const transaction = state.transaction();
    transaction.store('balances').put(bytes('acct1'), bytes('2'));
    transaction.store('holds').put(bytes('h1'), bytes('1'));
    transaction.changelogRecords();

    const error = await transaction
      .flush(
        new Map([
          ['balances', 49n],
          ['holds', 1n],
        ]),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransactionFlushError);
    expect((error as TransactionFlushError).failedStores).toEqual(['balances']);
    expect((error as TransactionFlushError).cause).toBeInstanceOf(CheckpointRegressionError);
    expect(transaction.status).toBe('failed');
    expect(() => transaction.store('balances').get(bytes('acct1'))).toThrow(TransactionStateError);
    expect(() => transaction.abort()).toThrow(TransactionStateError);
    // Each store on disk is still consistent with its own checkpoint.
    expect(text(storeEngineOf(state, 'balances').getSync(bytes('acct1')))).toBe('1');
    expect(state.checkpoint('balances')).toBe(50n);
    await state.close();
    expect(transaction.status).toBe('closed');
  });

  describe('scans', () => {
    it('merge disk entries with buffered writes in key order: buffered puts override, buffered deletes hide', async () => {
      const state = await openState();
      await committed(state, { a: 'disk', c: 'disk', e: 'disk', g: 'disk' }, 1n);
      const balances = state.transaction().store('balances');
      balances.put(bytes('b'), bytes('buf'));
      balances.put(bytes('c'), bytes('buf'));
      balances.delete(bytes('e'));
      balances.delete(bytes('f'));
      balances.put(bytes('h'), bytes('buf'));

      expect(await scan(balances.iterate())).toEqual(['a=disk', 'b=buf', 'c=buf', 'g=disk', 'h=buf']);
      expect(await scan(balances.iterate({ reverse: true }))).toEqual([
        'h=buf',
        'g=disk',
        'c=buf',
        'b=buf',
        'a=disk',
      ]);
      expect(await scan(balances.iterate({ gte: bytes('b'), lt: bytes('g') }))).toEqual(['b=buf', 'c=buf']);
      expect(await scan(balances.iterate({ gte: bytes('c'), limit: 2 }))).toEqual(['c=buf', 'g=disk']);
      expect(await scan(balances.iterate({ reverse: true, lt: bytes('g'), limit: 2 }))).toEqual([
        'c=buf',
        'b=buf',
      ]);
    });

    it('return as many entries as the limit asks even when buffered deletes hide disk entries', async () => {
      const state = await openState();
      await committed(state, { a: '1', b: '2', c: '3', d: '4', e: '5' }, 1n);
      const balances = state.transaction().store('balances');
      balances.delete(bytes('a'));
      balances.delete(bytes('b'));
      balances.delete(bytes('c'));
      expect(await scan(balances.iterate({ limit: 2 }))).toEqual(['d=4', 'e=5']);
    });

    it('do not see writes made while iterating', async () => {
      const state = await openState();
      await committed(state, { a: '1', c: '3' }, 1n);
      const balances = state.transaction().store('balances');
      balances.put(bytes('b'), bytes('2'));
      const seen: string[] = [];
      for await (const [key] of balances.iterate()) {
        seen.push(text(key) as string);
        balances.delete(key);
        balances.put(bytes(`${text(key)}2`), bytes('new'));
      }
      expect(seen).toEqual(['a', 'b', 'c']);
      expect(await scan(balances.iterate())).toEqual(['a2=new', 'b2=new', 'c2=new']);
    });
  });
});

describe('TaskTransaction undo journal', () => {
  it('undoes only the record being rolled back, newest first, callbacks included', async () => {
    const state = await openState();
    const transaction = state.transaction();
    const balances = transaction.store('balances');
    const undone: string[] = [];

    transaction.beginRecord();
    for (let i = 0; i < 5; i++) balances.put(bytes(`k${i}`), bytes(`first${i}`));
    balances.onRecordRollback(() => undone.push('first record'));
    transaction.commitRecord();

    transaction.beginRecord();
    balances.onRecordRollback(() => undone.push('before the write'));
    balances.put(bytes('k0'), bytes('second'));
    balances.onRecordRollback(() => undone.push('after the write'));
    transaction.rollbackRecord();

    expect(undone).toEqual(['after the write', 'before the write']);
    expect(await scan(balances.iterate())).toEqual([
      'k0=first0',
      'k1=first1',
      'k2=first2',
      'k3=first3',
      'k4=first4',
    ]);

    // A record without writes rolls back nothing; the journal is empty again.
    transaction.beginRecord();
    transaction.rollbackRecord();
    expect(text(balances.get(bytes('k0')))).toBe('first0');
    balances.onRecordRollback(() => undone.push('outside a record'));
    expect(undone).toHaveLength(2);
  });
});

describe('TaskTransaction with the read cache', () => {
  /** Reads the key through the transaction twice, so that the second read is a cache hit. */
  function warm(state: StateManager, key: string): void {
    const balances = state.transaction().store('balances');
    balances.get(bytes(key));
    const hits = storeEngineOf(state, 'balances').cacheStats.hits;
    balances.get(bytes(key));
    expect(storeEngineOf(state, 'balances').cacheStats.hits).toBe(hits + 1);
  }

  it('reads committed state from the cache, with the values the last flush wrote', async () => {
    const state = await openState();
    await committed(state, { acct1: '100' }, 1n);
    warm(state, 'acct1');
    await committed(state, { acct1: '110', acct2: '5' }, 2n);
    const balances = state.transaction().store('balances');
    const misses = storeEngineOf(state, 'balances').cacheStats.misses;
    expect(text(balances.get(bytes('acct1')))).toBe('110');
    expect(text(balances.get(bytes('acct2')))).toBe('5');
    expect(storeEngineOf(state, 'balances').cacheStats.misses).toBe(misses);
  });

  it('shows nothing of a rolled-back record afterwards, also for cached keys', async () => {
    const state = await openState();
    await committed(state, { acct1: '100' }, 1n);
    warm(state, 'acct1');
    const transaction = state.transaction();
    const balances = transaction.store('balances');
    transaction.beginRecord();
    balances.put(bytes('acct1'), bytes('150'));
    balances.put(bytes('acct9'), bytes('9'));
    transaction.rollbackRecord();

    expect(text(balances.get(bytes('acct1')))).toBe('100');
    expect(balances.get(bytes('acct9'))).toBeUndefined();
    transaction.changelogRecords();
    await transaction.flush(new Map([['balances', 2n]]));
    expect(text(balances.get(bytes('acct1')))).toBe('100');
    expect(balances.get(bytes('acct9'))).toBeUndefined();
  });

  it('shows nothing of an aborted commit afterwards, also for cached keys', async () => {
    const state = await openState();
    await committed(state, { acct1: '100' }, 1n);
    warm(state, 'acct1');
    const transaction = state.transaction();
    transaction.store('balances').put(bytes('acct1'), bytes('999'));
    transaction.store('balances').delete(bytes('acct1'));
    transaction.changelogRecords();
    transaction.abort();

    expect(text(transaction.store('balances').get(bytes('acct1')))).toBe('100');
    expect(text(storeEngineOf(state, 'balances').getSync(bytes('acct1')))).toBe('100');
  });

  it('after a restore, reads the restored values, not what was cached before', async () => {
    const state = await openState();
    await committed(state, { acct1: '100', acct2: '200' }, 1n);
    warm(state, 'acct1');
    warm(state, 'acct2');
    warm(state, 'acct3');
    const restorer = new StoreRestorer(storeEngineOf(state, 'balances'));
    restorer.add({ key: bytes('acct1'), value: bytes('111'), offset: 5n });
    restorer.add({ key: bytes('acct2'), value: null, offset: 6n });
    restorer.add({ key: bytes('acct3'), value: bytes('333'), offset: 7n });
    await restorer.finish();

    const balances = state.transaction().store('balances');
    expect(text(balances.get(bytes('acct1')))).toBe('111');
    expect(balances.get(bytes('acct2'))).toBeUndefined();
    expect(text(balances.get(bytes('acct3')))).toBe('333');
  });

  it('scans the same entries as LevelDB holds, whatever the cache holds', async () => {
    const state = await openState();
    await committed(state, { a: '1', b: '2', c: '3' }, 1n);
    warm(state, 'a');
    warm(state, 'b');
    await committed(state, { b: null, d: '4' }, 2n);
    const balances = state.transaction().store('balances');
    balances.put(bytes('e'), bytes('5'));
    expect(await scan(balances.iterate())).toEqual(['a=1', 'c=3', 'd=4', 'e=5']);
    expect(await scan(storeEngineOf(state, 'balances').iterate())).toEqual(['a=1', 'c=3', 'd=4']);
  });

  it("splits the task's cache budget evenly between its stores, at open and when resized", async () => {
    const state = await openState({ cacheMaxBytes: 10_000 });
    expect(storeEngineOf(state, 'balances').cacheStats.maxBytes).toBe(5_000);
    expect(storeEngineOf(state, 'holds').cacheStats.maxBytes).toBe(5_000);
    state.resizeCaches(0);
    expect(storeEngineOf(state, 'holds').cacheStats.maxBytes).toBe(0);
    expect(() => state.resizeCaches(-5)).toThrow(StoreArgumentError);
  });
});
