import path from 'node:path';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import {
  StateManager,
  StoreArgumentError,
  TransactionStateError,
  UnknownStoreError,
  changelogTopicConfigs,
  int64Serde,
  stringSerde,
} from '../../../state/index.ts';
import type { StoreSpec } from '../../../state/index.ts';
import {
  LEVELDB_PER_RECORD_BLOCK_CACHE_BYTES,
  LEVELDB_PER_RECORD_WRITE_BUFFER_BYTES,
  levelDbMemoryOf,
  levelDbMemoryShare,
} from '../../../state/memory-budget.ts';
import { storeEngineOf } from '../../../state/state-manager.ts';
import { changelogTopicFor } from '../../../processor/internal-topics.ts';
import { bytes, useTempStateDir } from './temp-state-dir.ts';

const stateDir = useTempStateDir();
const balancesSpec: StoreSpec = { name: 'balances', kind: 'key-value' };
const velocitySpec: StoreSpec = { name: 'velocity', kind: 'windowed', retentionMs: 3_600_000 };
const stores = [balancesSpec, velocitySpec];
const options = (overrides: { stores?: StoreSpec[] } = {}) => ({
  appId: 'saldo',
  taskId: '0_6',
  stateDir: stateDir.path,
  stores,
  ...overrides,
});

async function commitBalance(
  state: StateManager,
  key: string,
  value: bigint,
  checkpoint: bigint,
): Promise<void> {
  state.keyValueStore('balances', stringSerde, int64Serde).put(key, value);
  state.transaction().changelogRecords();
  await state.transaction().flush(new Map([['balances', checkpoint]]));
}

describe('StateManager', () => {
  it('opens one engine per store of the task and reports their checkpoints', async () => {
    const state = stateDir.closeAfter(await StateManager.open(options()));
    expect(state.storeNames).toEqual(['balances', 'velocity']);
    expect(storeEngineOf(state, 'velocity').path).toBe(path.join(stateDir.path, 'saldo', '0_6', 'velocity'));
    await commitBalance(state, 'NL01', 1n, 12n);
    expect(state.checkpoints()).toEqual(
      new Map([
        ['balances', 12n],
        ['velocity', undefined],
      ]),
    );
    expect(state.checkpoint('balances')).toBe(12n);
    expect(() => storeEngineOf(state, 'ledger')).toThrow(UnknownStoreError);
  });

  it('rejects duplicate stores, windowed stores without retention and retention on key-value stores', async () => {
    await expect(StateManager.open(options({ stores: [balancesSpec, balancesSpec] }))).rejects.toThrow(
      StoreArgumentError,
    );
    await expect(
      StateManager.open(options({ stores: [{ name: 'velocity', kind: 'windowed' }] })),
    ).rejects.toThrow(/retentionMs/);
    await expect(
      StateManager.open(options({ stores: [{ name: 'balances', kind: 'key-value', retentionMs: 5 }] })),
    ).rejects.toThrow(StoreArgumentError);
    await expect(
      StateManager.open(options({ stores: [{ name: 'a/b', kind: 'key-value' }] })),
    ).rejects.toThrow(StoreArgumentError);
  });

  it('hands out handles only for the kind a store was defined as', async () => {
    const state = stateDir.closeAfter(await StateManager.open(options()));
    expect(() => state.windowedStore('balances', stringSerde, int64Serde)).toThrow(UnknownStoreError);
    expect(() => state.keyValueStore('velocity', stringSerde, int64Serde)).toThrow(UnknownStoreError);
  });

  it('wipes a store only between transactions, leaving it empty and without a checkpoint', async () => {
    const state = stateDir.closeAfter(await StateManager.open(options()));
    await commitBalance(state, 'NL01', 1n, 5n);
    state.keyValueStore('balances', stringSerde, int64Serde).put('NL02', 2n);
    await expect(state.wipeStore('balances')).rejects.toThrow(TransactionStateError);

    state.transaction().abort();
    await state.wipeStore('balances');
    expect(state.checkpoint('balances')).toBeUndefined();
    expect(state.keyValueStore('balances', stringSerde, int64Serde).get('NL01')).toBeUndefined();
  });

  it('wipes and reopens a store whose files it cannot read, and says so', async () => {
    const foreign = new ClassicLevel(path.join(stateDir.path, 'saldo', '0_6', 'balances'));
    await foreign.put('legacy', 'layout');
    await foreign.close();

    const state = stateDir.closeAfter(await StateManager.open(options()));
    expect(state.wipedOnOpen).toEqual(['balances']);
    expect(state.checkpoint('balances')).toBeUndefined();
    expect(storeEngineOf(state, 'balances').getSync(bytes('legacy'))).toBeUndefined();
  });

  it('closes the stores it opened when another cannot be opened', async () => {
    const holder = stateDir.closeAfter(await StateManager.open(options({ stores: [velocitySpec] })));
    await expect(StateManager.open(options())).rejects.toThrow(/cannot open LevelDB/);
    await holder.close();
    const state = stateDir.closeAfter(await StateManager.open(options()));
    expect(state.storeNames).toHaveLength(2);
  });

  it('close discards uncommitted writes and is idempotent', async () => {
    const state = await StateManager.open(options());
    await commitBalance(state, 'NL01', 1n, 5n);
    state.keyValueStore('balances', stringSerde, int64Serde).put('NL01', 999n);
    await state.close();
    await state.close();

    const reopened = stateDir.closeAfter(await StateManager.open(options()));
    expect(reopened.keyValueStore('balances', stringSerde, int64Serde).get('NL01')).toBe(1n);
  });
});

describe('changelog topics', () => {
  it('are named <appId>-<store>-changelog', () => {
    expect(changelogTopicFor('saldo', 'balances')).toBe('saldo-balances-changelog');
  });

  it('are compacted, and for windowed stores also deleted after the retention plus a day', () => {
    expect(changelogTopicConfigs('key-value')).toEqual({ 'cleanup.policy': 'compact' });
    expect(changelogTopicConfigs('windowed', 3_600_000)).toEqual({
      'cleanup.policy': 'compact,delete',
      'retention.ms': String(3_600_000 + 86_400_000),
    });
    expect(() => changelogTopicConfigs('windowed', undefined, 'velocity')).toThrow(StoreArgumentError);
  });

  it('splits the task’s read cache among the stores that take one', async () => {
    const state = await StateManager.open({
      ...options({
        stores: [
          balancesSpec,
          { name: 'holds', kind: 'key-value' },
          { name: 'ids', kind: 'ttl-key-value', ttlMs: 1_000, cached: false },
        ],
      }),
      cacheMaxBytes: 1_000_000,
    });
    try {
      expect(storeEngineOf(state, 'balances').cacheStats.maxBytes).toBe(500_000);
      expect(storeEngineOf(state, 'holds').cacheStats.maxBytes).toBe(500_000);
      expect(storeEngineOf(state, 'ids').cacheStats.maxBytes).toBe(0);
      state.resizeCaches(300_000);
      expect(storeEngineOf(state, 'balances').cacheStats.maxBytes).toBe(150_000);
      expect(storeEngineOf(state, 'ids').cacheStats.maxBytes).toBe(0);
    } finally {
      await state.close();
    }
  });
});

describe('LevelDB memory per store', () => {
  it('is one task budget split among its stores, with a floor', () => {
    expect(levelDbMemoryShare(1)).toEqual({
      blockCacheBytes: 2 * 1024 * 1024,
      writeBufferBytes: 1024 * 1024,
    });
    expect(levelDbMemoryShare(2)).toEqual({ blockCacheBytes: 1024 * 1024, writeBufferBytes: 512 * 1024 });
    expect(levelDbMemoryShare(3)).toEqual({ blockCacheBytes: 699_050, writeBufferBytes: 512 * 1024 });
  });

  it('gives a store written for every record a larger write buffer, the others their even share', () => {
    const ids: StoreSpec = { name: 'ids', kind: 'key-value', writtenPerRecord: true };
    const limits: StoreSpec = { name: 'limits', kind: 'key-value' };
    const memoryOf = levelDbMemoryOf([ids, limits, balancesSpec, velocitySpec]);
    const even = levelDbMemoryShare(4);
    expect(memoryOf(limits)).toEqual(even);
    expect(memoryOf(ids)).toEqual({
      blockCacheBytes: LEVELDB_PER_RECORD_BLOCK_CACHE_BYTES,
      writeBufferBytes: LEVELDB_PER_RECORD_WRITE_BUFFER_BYTES,
    });
    expect(LEVELDB_PER_RECORD_WRITE_BUFFER_BYTES).toBeGreaterThan(even.writeBufferBytes);
    expect(LEVELDB_PER_RECORD_BLOCK_CACHE_BYTES).toBeLessThan(even.blockCacheBytes);
    // A store alone in its task never gets less than the whole task's share.
    const alone = { ...ids, writtenPerRecord: true };
    expect(levelDbMemoryOf([alone])(alone).writeBufferBytes).toBe(
      Math.max(levelDbMemoryShare(1).writeBufferBytes, LEVELDB_PER_RECORD_WRITE_BUFFER_BYTES),
    );
  });

  it('is what each store’s database is opened with', async () => {
    const ids: StoreSpec = { name: 'ids', kind: 'ttl-key-value', ttlMs: 1_000, writtenPerRecord: true };
    const state = await StateManager.open(options({ stores: [balancesSpec, ids] }));
    try {
      expect(storeEngineOf(state, 'ids').levelDb.writeBufferBytes).toBe(
        LEVELDB_PER_RECORD_WRITE_BUFFER_BYTES,
      );
      expect(storeEngineOf(state, 'balances').levelDb).toEqual(levelDbMemoryShare(2));
    } finally {
      await state.close();
    }
  });
});
