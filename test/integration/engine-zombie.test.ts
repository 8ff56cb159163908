import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkOutputs,
  generateTransactions,
  parseTotals,
  produceTransactions,
  referenceTotals,
  type GeneratedTransaction,
} from '../support/counting.ts';
import { createTopic } from '../support/kafka.ts';
import {
  groupCommittedOffsets,
  partitionOfKey,
  produceFlowing,
  readCommittedToEnd,
  waitForInputCommitted,
} from '../support/instance-kafka.ts';
import { InstanceProcess, waitUntilSharing, waitUntil, type LogLine } from '../support/instance-process.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 6;
const ALL = [0, 1, 2, 3, 4, 5];
// A frozen member is dropped from the group after 6 s.
// No standbys: b restores a's tasks from the changelogs while a is frozen, the widest window for a
// zombie (test/integration/scale-out.test.ts has the standbys' take-over).
const ENV = {
  SALDO_SESSION_TIMEOUT_MS: '6000',
  SALDO_HEARTBEAT_INTERVAL_MS: '1000',
  SALDO_NUM_STANDBY_REPLICAS: '0',
};

/** What a zombie should see when it resumes: its producers fenced, or the group moved on without it. */
const zombieNews = (l: LogLine) => l.msg === 'partitions assigned' || /fenced/i.test(JSON.stringify(l));

describe('a frozen instance (a zombie) comes back, exactly-once, on a real broker', () => {
  const ws = useInstanceWorkspace('zombie', { stopInstancesAfter: 'each' });

  /** Two instances a and b (own state directories) sharing the 6 partitions of a fresh app. */
  async function twoInstances(scenario: string) {
    const appId = uniqueName(`zombie-${scenario}`);
    const topics = { input: `${appId}-in`, output: `${appId}-out` };
    await createTopic(ws.kafka, topics.input, PARTITIONS);
    await createTopic(ws.kafka, topics.output, PARTITIONS);
    const start = (name: string) =>
      InstanceProcess.spawn({
        name,
        appId,
        input: topics.input,
        output: topics.output,
        stateDir: join(ws.root, `${scenario}-state-${name}`),
        brokers: services().kafkaBrokers,
        env: ENV,
        logDir: ws.root,
      });
    const a = start('a');
    await a.waitForLine((l) => l.msg === 'app starting -> running', {
      timeoutMs: 60_000,
      what: 'a to start',
    });
    const b = start('b');
    await waitUntilSharing([{ instance: a }, { instance: b }], ALL, {
      timeoutMs: 90_000,
      what: 'a and b to share the 6 partitions',
    });
    return { appId, topics, a, b, ofA: a.assignedPartitions() as number[] };
  }

  /** Waits until a and b hold disjoint halves of the 6 partitions again (assignments since the marks). */
  async function sharedAgain(a: InstanceProcess, markA: number, b: InstanceProcess, markB: number) {
    await waitUntilSharing(
      [
        { instance: a, since: markA },
        { instance: b, since: markB },
      ],
      ALL,
      { timeoutMs: 120_000, what: 'a and b to share the 6 partitions again' },
    );
  }

  async function expectExactOutputs(
    appId: string,
    topics: { input: string; output: string },
    all: GeneratedTransaction[],
    instances: InstanceProcess[],
    timeoutMs = 180_000,
  ) {
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.input,
      expectedRecords: all.length,
      timeoutMs,
      instances,
    });
    const outputs = await readCommittedToEnd(ws.kafka, ws.admin, topics.output);
    const updates = outputs.map((r) => parseTotals(r.key ?? '', r.value ?? ''));
    expect(checkOutputs(updates, referenceTotals(all))).toEqual([]);
    // One committed output per input record: the zombie committed nothing on top of b's work.
    expect(updates).toHaveLength(all.length);
  }

  it('fences an instance frozen in the middle of its work: it commits nothing for the tasks it lost, and the results stay exact', async () => {
    const { appId, topics, a, b, ofA } = await twoInstances('busy');
    const part1 = generateTransactions(1_000, 40, 31);
    const part2 = generateTransactions(2_000, 40, 32);
    const part3 = generateTransactions(1_000, 40, 33);

    // Part 1: both instances run their tasks.
    await produceTransactions(ws.kafka, topics.input, part1);
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.input,
      expectedRecords: part1.length,
      timeoutMs: 120_000,
      instances: [a, b],
    });
    expect(a.runningPartitions()).toEqual(ofA);
    expect(b.runningPartitions()).toEqual(b.assignedPartitions());
    const afterPart1 = await groupCommittedOffsets(ws.admin, appId, topics.input);

    // Part 2 flows in. Once a has committed some of it, a is frozen (SIGSTOP) with its tasks, its
    // producers and whatever it has fetched and buffered.
    let part2Sent = false;
    const flowing = produceFlowing(ws.kafka, topics.input, part2, { chunk: 25, pauseMs: 100 }).then(
      () => (part2Sent = true),
    );
    await waitUntil(
      async () => {
        const committed = await groupCommittedOffsets(ws.admin, appId, topics.input);
        return ofA.some((p) => (committed.get(p) ?? -1) > (afterPart1.get(p) ?? 0));
      },
      { timeoutMs: 60_000, what: 'a to commit some of part 2', instances: [a, b] },
    );
    const markB = b.mark();
    a.signal('SIGSTOP');
    const frozenAt = await groupCommittedOffsets(ws.admin, appId, topics.input);

    // After the session timeout the group drops a; b takes all 6 tasks, which fences a's producers.
    await waitUntil(
      () => b.assignedPartitions(markB)?.join() === ALL.join() && b.runningPartitions().join() === ALL.join(),
      {
        timeoutMs: 120_000,
        what: 'b to run all 6 tasks while a is frozen',
        instances: [b],
      },
    );
    expect(b.linesSince(markB).some((l) => l.msg === 'restore complete')).toBe(true);
    // b moves a's partitions beyond where a was frozen: a's local state is now stale.
    await waitUntil(
      async () => {
        const committed = await groupCommittedOffsets(ws.admin, appId, topics.input);
        return ofA.every((p) => (committed.get(p) ?? -1) > (frozenAt.get(p) ?? 0));
      },
      { timeoutMs: 120_000, what: "b to commit past a's offsets on a's partitions", instances: [b] },
    );

    // Thaw a: it must learn that it is a zombie (fenced producers, or a new assignment).
    const markA = a.mark();
    console.error(
      `[zombie] a (partitions ${ofA.join()}) resumed ${part2Sent ? 'after' : 'while'} part 2 was flowing in`,
    );
    a.signal('SIGCONT');
    await a.waitForLine(zombieNews, {
      since: markA,
      timeoutMs: 120_000,
      what: 'a to see a fencing or a new assignment after it resumed',
    });
    await flowing;

    // The group settles with both members again; part 3 goes to both; everything is exact.
    await sharedAgain(a, markA, b, markB);
    await produceTransactions(ws.kafka, topics.input, part3);
    await expectExactOutputs(appId, topics, [...part1, ...part2, ...part3], [a, b]);
    expect(a.exit).toBeUndefined();
    expect(b.exit).toBeUndefined();
  }, 600_000);

  it('un-fences the tasks a zombie gets back: frozen while idle, it resumes with fenced producers and must not stall them', async () => {
    const { appId, topics, a, b, ofA } = await twoInstances('idle');
    const ofB = b.assignedPartitions() as number[];
    const part1 = generateTransactions(1_000, 40, 41);
    // Part 2 goes only to b's own partitions: while a is frozen its partitions get nothing new, so
    // when a resumes it has nothing to fetch or commit before it rejoins the group.
    const part2 = generateTransactions(2_000, 40, 42).filter((t) =>
      ofB.includes(partitionOfKey(t.account, PARTITIONS)),
    );
    const part3 = generateTransactions(1_000, 40, 43);
    expect(part2.length).toBeGreaterThan(0);

    await produceTransactions(ws.kafka, topics.input, part1);
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.input,
      expectedRecords: part1.length,
      timeoutMs: 120_000,
      instances: [a, b],
    });
    expect(a.runningPartitions()).toEqual(ofA);
    const afterPart1 = await groupCommittedOffsets(ws.admin, appId, topics.input);

    // a is frozen with nothing left to commit. The group drops it; b takes all 6 tasks, which
    // fences a's producers, and processes part 2.
    const markB = b.mark();
    a.signal('SIGSTOP');
    const flowing = produceFlowing(ws.kafka, topics.input, part2, { chunk: 25, pauseMs: 100 });
    await waitUntil(
      () => b.assignedPartitions(markB)?.join() === ALL.join() && b.runningPartitions().join() === ALL.join(),
      { timeoutMs: 120_000, what: 'b to run all 6 tasks while a is frozen', instances: [b] },
    );
    await flowing;
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.input,
      expectedRecords: part1.length + part2.length,
      timeoutMs: 120_000,
      instances: [b],
    });
    const afterPart2 = await groupCommittedOffsets(ws.admin, appId, topics.input);
    expect(ofA.map((p) => afterPart2.get(p))).toEqual(ofA.map((p) => afterPart1.get(p)));

    // a resumes and rejoins; the sticky assignment may hand it back the partitions of its old tasks,
    // whose producers b has fenced.
    const markA = a.mark();
    a.signal('SIGCONT');
    await a.waitForLine(zombieNews, {
      since: markA,
      timeoutMs: 120_000,
      what: 'a to see a fencing or a new assignment after it resumed',
    });
    await sharedAgain(a, markA, b, markB);

    // Part 3 goes to all partitions: each must make progress, and the results stay exact. (Done in
    // seconds when healthy; the bound stays well below the minutes after which an unrelated
    // rebalance could hide a stalled partition.)
    await produceTransactions(ws.kafka, topics.input, part3);
    await expectExactOutputs(appId, topics, [...part1, ...part2, ...part3], [a, b], 60_000);
    expect(a.exit).toBeUndefined();
    expect(b.exit).toBeUndefined();
  }, 600_000);
});
