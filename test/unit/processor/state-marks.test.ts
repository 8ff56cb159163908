import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, TopologyTestDriver, validateStreamsConfig } from '../../../processor/index.ts';
import type { ConsumedRecord } from '../../../processor/records.ts';
import { runningTask } from './task-fixture.ts';
import { writesStateMarks } from '../../../processor/config.ts';
import {
  changelogTopicFor,
  changelogTopicsOf,
  internalTopicSpecs,
  stateMarksTopicFor,
} from '../../../processor/internal-topics.ts';
import {
  StateMarker,
  decodeStateMark,
  encodeStateMark,
  type StateMark,
} from '../../../processor/state-marks.ts';
import {
  accountTotalsStoreSerde,
  countingTopology,
  type AccountTotals,
} from '../../../topologies/counting.ts';

const MINUTE = 60_000;
const topics = { input: 'transactions', output: 'account-totals' };

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

const mark: StateMark = {
  task: '0_3',
  inputs: { transactions: 1200, 'account-limits': 40 },
  changelogs: { 'saldo-balances-changelog': 987 },
  streamTimeMs: 1_796_398_421_873,
  wallClockMs: 1_796_398_500_000,
};

describe('state marks', () => {
  it('read back as written, and anything else reads as no mark', () => {
    expect(decodeStateMark(encodeStateMark(mark))).toEqual(mark);
    expect(decodeStateMark(null)).toBeUndefined();
    expect(decodeStateMark(Buffer.from('not json'))).toBeUndefined();
    expect(decodeStateMark(Buffer.from(JSON.stringify({ ...mark, v: 2 })))).toBeUndefined();
    expect(
      decodeStateMark(Buffer.from(JSON.stringify({ v: 1, ...mark, inputs: { t: -1 } }))),
    ).toBeUndefined();
  });

  it('are due one interval after the first commit, then one interval after the last mark, and describe the commit before', () => {
    const marker = new StateMarker('0_1', MINUTE);
    expect(marker.due(0)).toBe(false);
    const first = [{ topic: 'transactions', partition: 1, offset: 10, metadata: 'saldo:1:500' }];
    marker.committed(first, 500, 1_000, false);
    expect(marker.due(1_000 + MINUTE - 1)).toBe(false);
    expect(marker.due(1_000 + MINUTE)).toBe(true);
    expect(marker.mark([{ topic: 'app-totals-changelog', next: 7n }])).toEqual({
      task: '0_1',
      inputs: { transactions: 10 },
      changelogs: { 'app-totals-changelog': 7 },
      streamTimeMs: 500,
      wallClockMs: 1_000,
    });
    marker.committed(first, 500, 2_000 + MINUTE, true);
    expect(marker.due(2_000 + MINUTE + 1)).toBe(false);
    expect(marker.due(2_000 + 2 * MINUTE)).toBe(true);
    const off = new StateMarker('0_1', 0);
    off.committed(first, 500, 0, false);
    expect(off.due(Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('are written with exactly-once only, unless turned off, and their interval stays below the horizon', () => {
    const base = { applicationId: 'a', brokers: ['h:1'], stateDir: '/s' };
    const defaults = validateStreamsConfig(base);
    expect(defaults.stateMarkIntervalMs).toBe(MINUTE);
    expect(defaults.replayHorizonMs).toBe(7 * 24 * 60 * MINUTE);
    expect(writesStateMarks(defaults)).toBe(true);
    expect(writesStateMarks(validateStreamsConfig({ ...base, processingGuarantee: 'at-least-once' }))).toBe(
      false,
    );
    expect(writesStateMarks(validateStreamsConfig({ ...base, stateMarkIntervalMs: 0 }))).toBe(false);
    expect(() =>
      validateStreamsConfig({ ...base, stateMarkIntervalMs: 120_000, replayHorizonMs: 60_000 }),
    ).toThrow(/stateMarkIntervalMs: 120000 must be below replayHorizonMs/);
  });

  it('name the same changelogs as the list of them the assignor and the tools use', () => {
    const stores = [
      { name: 'balances', kind: 'key-value' as const },
      { name: 'limits', kind: 'key-value' as const, logged: false },
    ];
    expect(changelogTopicsOf('bank', stores)).toEqual(['bank-balances-changelog']);
    const specs = internalTopicSpecs(stores, {
      applicationId: 'bank',
      partitions: 3,
      stateMarks: false,
      replayHorizonMs: 60_000,
    });
    expect(specs.filter((s) => s.topic.endsWith('-changelog')).map((s) => s.topic)).toEqual(
      changelogTopicsOf('bank', stores),
    );
  });

  it('go to a topic kept for the replay horizon, and changelogs keep that much history uncompacted', () => {
    const stores = countingTopology(topics).storeSpecs;
    const specs = internalTopicSpecs(stores, {
      applicationId: 'app',
      partitions: 4,
      stateMarks: true,
      replayHorizonMs: 86_400_000,
    });
    expect(specs).toEqual([
      {
        topic: changelogTopicFor('app', 'totals'),
        numPartitions: 4,
        configs: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '86400000' },
      },
      { topic: 'app-dlq', numPartitions: 4 },
      {
        topic: stateMarksTopicFor('app'),
        numPartitions: 4,
        configs: { 'cleanup.policy': 'delete', 'retention.ms': '86400000' },
      },
    ]);
    const without = internalTopicSpecs(stores, {
      applicationId: 'app',
      partitions: 4,
      stateMarks: false,
      replayHorizonMs: 86_400_000,
    });
    expect(without.map((s) => [s.topic, s.configs])).toEqual([
      ['app-totals-changelog', { 'cleanup.policy': 'compact' }],
      ['app-dlq', undefined],
    ]);
  });

  it('name a state and input offsets the task had together: the changelog below the mark is the store after the commit of those offsets', async () => {
    driver = await TopologyTestDriver.create(countingTopology(topics), {
      applicationId: 'marks',
      partition: 2,
    });
    // After each commit (every pipe commits): the input's next offset, the stream time and the store.
    const states: Array<{ next: number; streamTime: number; store: Map<string, string> }> = [];
    const accounts = ['acct-1', 'acct-2', 'acct-3'];
    for (let i = 0; i < 40; i++) {
      driver.clock.advance(25_000);
      await driver.pipe('transactions', {
        key: accounts[i % 3] as string,
        value: { txId: `t${i}`, amountMinor: String(100 + i), currency: i % 4 === 0 ? 'USD' : 'MXN' },
      });
      const store = new Map<string, string>();
      for await (const [key, value] of driver
        .keyValueStore<string, AccountTotals>('totals')
        .range(undefined, undefined)) {
        store.set(key, accountTotalsStoreSerde.serialize(value).toString('hex'));
      }
      states.push({ next: i + 1, streamTime: driver.clock.now(), store });
    }

    const marks = driver.records(stateMarksTopicFor('marks')).map((r) => {
      expect(r.partition).toBe(2);
      expect(r.key?.toString()).toBe('0_2');
      return decodeStateMark(r.value) as StateMark;
    });
    // 40 commits 25 s apart, a mark at most every minute, the first a minute after the first commit.
    expect(marks.length).toBeGreaterThanOrEqual(12);
    expect(marks.length).toBeLessThanOrEqual(14);
    const changelog = changelogTopicFor('marks', 'totals');
    const records = driver.changelog('totals');
    for (const m of marks) {
      const then = states.find((s) => s.next === m.inputs.transactions);
      expect(then, `a commit with next offset ${m.inputs.transactions}`).toBeDefined();
      const fold = new Map<string, string>();
      for (const r of records) {
        if (r.offset >= (m.changelogs[changelog] as number)) break;
        fold.set(r.key?.toString() ?? '', r.value?.toString('hex') ?? '');
      }
      expect(fold).toEqual(then?.store);
      expect(m.streamTimeMs).toBe(then?.streamTime);
      // Written in the commit after the one it describes: the input had moved on by one record.
      expect(m.inputs.transactions).toBeLessThan(40);
    }
  });

  it('go in the commit after the one they describe, in the one call that commits its records and offsets; none with at-least-once', async () => {
    const record = (offset: number): ConsumedRecord => ({
      topic: 'in',
      partition: 0,
      offset,
      timestamp: 1_000 + offset,
      key: Buffer.from('acct-1'),
      value: Buffer.from(JSON.stringify({ txId: `t${offset}`, amountMinor: '5', currency: 'MXN' })),
      headers: {},
    });
    const run = async (processingGuarantee: 'exactly-once' | 'at-least-once') => {
      const clock = new ManualClock(0);
      const { task, unit } = await runningTask(countingTopology({ input: 'in', output: 'out' }), {
        clock,
        processingGuarantee,
      });
      for (let offset = 0; offset < 6; offset++) {
        clock.advance(40_000);
        await task.process(record(offset));
        await task.commit();
      }
      return unit.commits;
    };
    const commits = await run('exactly-once');
    const markTopic = stateMarksTopicFor('task-test');
    const marked = commits.flatMap((commit, index) =>
      commit.records
        .filter((r) => r.topic === markTopic)
        .map((r) => ({ index, mark: decodeStateMark(r.value) })),
    );
    // Commits at 40 s, 80 s, …: the first starts the clock, a mark a minute later, then every other.
    expect(marked.map((m) => m.index)).toEqual([2, 4]);
    for (const { index, mark } of marked) {
      const previous = commits[index - 1];
      expect(mark?.inputs).toEqual({ in: previous?.offsets[0]?.offset });
      expect(mark?.streamTimeMs).toBe(1_000 + index - 1);
      expect(commits[index]?.offsets[0]?.offset).toBe(index + 1);
    }
    const atLeastOnce = await run('at-least-once');
    expect(atLeastOnce.flatMap((c) => c.records).filter((r) => r.topic === markTopic)).toEqual([]);
  });
});
