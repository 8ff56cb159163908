import { describe, expect, it } from 'vitest';
import {
  StateManager,
  StoreArgumentError,
  stringSerde,
  type ChangelogSource,
  type ChangelogSourceRecord,
  type RecoveryLogger,
} from '../../../state/index.ts';
import { useTempStateDir } from './temp-state-dir.ts';

const stateDir = useTempStateDir();
const stores = [
  { name: 'balances', kind: 'key-value' as const },
  { name: 'limits', kind: 'key-value' as const, logged: false },
];
const open = async (partition?: number) =>
  stateDir.closeAfter(
    await StateManager.open({
      appId: 'saldo',
      taskId: '0_3',
      stateDir: stateDir.path,
      stores,
      ...(partition === undefined
        ? {}
        : { changelogs: new Map([['balances', { topic: 'saldo-balances-changelog', partition }]]) }),
    }),
  );

/** Changelog partitions in memory, as the Kafka adapter would serve them. */
function memorySource(log: Map<string, ChangelogSourceRecord[]>): ChangelogSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    async offsetRange(partitions) {
      return new Map(
        partitions.map((p) => {
          const records = log.get(`${p.topic}:${p.partition}`) ?? [];
          const end = records.length === 0 ? 0 : (records[records.length - 1]?.offset ?? 0) + 1;
          return [`${p.topic}:${p.partition}`, { start: records[0]?.offset ?? end, end }];
        }),
      );
    },
    async read(ranges, onRecords) {
      for (const range of ranges) {
        reads.push(`${range.topic}:${range.partition} ${range.from}-${range.to}`);
        const records = (log.get(`${range.topic}:${range.partition}`) ?? []).filter(
          (r) => r.offset >= range.from && r.offset < range.to,
        );
        if (records.length > 0) await onRecords(records);
      }
    },
  };
}

const silent: RecoveryLogger = { info: () => undefined, warn: () => undefined };
const record = (offset: number, key: string, value: string | null): ChangelogSourceRecord => ({
  topic: 'saldo-balances-changelog',
  offset,
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
});

describe('restoring a task’s stores through a changelog source', () => {
  it('reads each logged store’s changelog partition from its checkpoint, and reports progress', async () => {
    const log = new Map([
      ['saldo-balances-changelog:3', [record(0, 'a', '1'), record(1, 'b', '2'), record(2, 'a', null)]],
    ]);
    const state = await open(3);
    const remaining: number[] = [];
    const restored: Array<[string, number]> = [];
    const source = memorySource(log);
    const summary = await state.restore(source, {
      logger: silent,
      onRemaining: (n) => remaining.push(n),
      onRestored: (store, n) => restored.push([store, n]),
      heartbeat: async () => undefined,
    });
    expect(source.reads).toEqual(['saldo-balances-changelog:3 0-3']);
    expect(summary.total).toBe(3);
    expect(remaining).toEqual([3, 0, 0]);
    expect(restored).toEqual([['balances', 3]]);
    expect(state.checkpoint('balances')).toBe(3n);
    const balances = state.keyValueStore('balances', stringSerde, stringSerde);
    expect(balances.get('a')).toBeUndefined();
    expect(balances.get('b')).toBe('2');
  });

  it('cannot restore or commit changelog records without its changelogs', async () => {
    const state = await open();
    const options = { logger: silent, onRemaining: () => undefined, onRestored: () => undefined };
    await expect(
      state.restore(memorySource(new Map()), { ...options, heartbeat: async () => undefined }),
    ).rejects.toThrow(StoreArgumentError);
    state.keyValueStore('balances', stringSerde, stringSerde).put('a', '1');
    expect(() => state.prepareCommit()).toThrow(StoreArgumentError);
  });
});

describe('committing a task’s state in two halves', () => {
  it('sends one changelog record per key written, then checkpoints each store by what the commit covered', async () => {
    const state = await open(3);
    state.keyValueStore('balances', stringSerde, stringSerde).put('a', '1');
    state.keyValueStore('balances', stringSerde, stringSerde).put('a', '2');
    state.keyValueStoreWriter('limits', stringSerde, stringSerde).put('x', '9');
    state.advanceInputCheckpoint('limits', 41);
    state.advanceInputCheckpoint('limits', 42);
    const records = state.prepareCommit();
    expect(records.map((r) => [r.topic, r.partition, r.key.toString(), r.value?.toString()])).toEqual([
      ['saldo-balances-changelog', 3, 'a', '2'],
    ]);
    const checkpoints = await state.completeCommit(new Map([['saldo-balances-changelog:3', 16]]));
    expect(checkpoints).toEqual(
      new Map([
        ['balances', 17n],
        ['limits', 42n],
      ]),
    );
    expect(state.checkpoint('balances')).toBe(17n);
    expect(state.checkpoint('limits')).toBe(42n);
  });

  it('forgets the input progress of discarded work', async () => {
    const state = await open(3);
    state.keyValueStoreWriter('limits', stringSerde, stringSerde).put('x', '9');
    state.advanceInputCheckpoint('limits', 42);
    state.discardUncommitted();
    state.prepareCommit();
    expect(await state.completeCommit(new Map())).toEqual(new Map());
    expect(state.checkpoint('limits')).toBeUndefined();
  });
});

describe('checkpoints past transaction markers', () => {
  /** A changelog whose end is past its last record, as a committed transaction's marker leaves it. */
  function withMarkerAtEnd(log: Map<string, ChangelogSourceRecord[]>, end: number) {
    const source = memorySource(log);
    return {
      ...source,
      offsetRange: async (partitions: Parameters<ChangelogSource['offsetRange']>[0]) =>
        new Map(partitions.map((p) => [`${p.topic}:${p.partition}`, { start: 0, end }])),
    };
  }
  const restoreOptions = {
    logger: silent,
    onRemaining: () => undefined,
    onRestored: () => undefined,
    heartbeat: async () => undefined,
  };

  it('a restore sets the checkpoint to the end it read to, markers included: the next one reads nothing', async () => {
    const log = new Map([['saldo-balances-changelog:3', [record(0, 'a', '1'), record(1, 'b', '2')]]]);
    const state = await open(3);
    const source = withMarkerAtEnd(log, 3); // offset 2: the commit marker
    await state.restore(source, restoreOptions);
    expect(state.checkpoint('balances')).toBe(3n);
    await state.restore(source, restoreOptions);
    expect(source.reads).toEqual(['saldo-balances-changelog:3 0-3']);
  });

  it('a standby’s follower moves the checkpoint to where it has read, even with no record there', async () => {
    const state = await open(3);
    await state.applyChangelogRecords([record(0, 'a', '1')], {
      topic: 'saldo-balances-changelog',
      nextOffset: 2,
    });
    expect(state.checkpoint('balances')).toBe(2n);
    await state.applyChangelogRecords([], { topic: 'saldo-balances-changelog', nextOffset: 5 });
    expect(state.checkpoint('balances')).toBe(5n);
    // Records at or below the checkpoint (a follower restarted a little early) are skipped.
    expect(await state.applyChangelogRecords([record(4, 'a', '9'), record(5, 'b', '3')])).toBe(1);
    expect(state.keyValueStore('balances', stringSerde, stringSerde).get('a')).toBe('1');
    expect(state.checkpoint('balances')).toBe(6n);
  });
});

describe('a source that hands over several partitions’ batches at once', () => {
  it('applies them one at a time (a store takes one write batch at a time)', async () => {
    const state = await stateDir.closeAfter(
      await StateManager.open({
        appId: 'saldo',
        taskId: '0_3',
        stateDir: stateDir.path,
        stores: [
          { name: 'a', kind: 'key-value' as const },
          { name: 'b', kind: 'key-value' as const },
        ],
        changelogs: new Map([
          ['a', { topic: 'saldo-a-changelog', partition: 3 }],
          ['b', { topic: 'saldo-b-changelog', partition: 3 }],
        ]),
      }),
    );
    const many = (topic: string) =>
      Array.from({ length: 25_000 }, (_, i) => ({
        topic,
        offset: i,
        key: Buffer.from(`k${i}`),
        value: Buffer.from('v'),
      }));
    const source: ChangelogSource = {
      offsetRange: async (partitions) =>
        new Map(partitions.map((p) => [`${p.topic}:${p.partition}`, { start: 0, end: 25_000 }])),
      // Both partitions at once, as kafkajs does with partitionsConsumedConcurrently > 1.
      read: async (_ranges, onRecords) => {
        await Promise.all([onRecords(many('saldo-a-changelog')), onRecords(many('saldo-b-changelog'))]);
      },
    };
    const summary = await state.restore(source, {
      logger: silent,
      onRemaining: () => undefined,
      onRestored: () => undefined,
      heartbeat: async () => undefined,
    });
    expect(summary.total).toBe(50_000);
    expect(state.checkpoint('a')).toBe(25_000n);
  });
});
