import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkOutputs,
  generateTransactions,
  parseTotals,
  produceTransactions,
  referenceTotals,
  type GeneratedTransaction,
} from '../support/counting.ts';
import { spawnCountingInstance } from '../support/counting-instance.ts';
import { createTopic } from '../support/kafka.ts';
import {
  groupCommittedOffsets,
  produceFlowing,
  readCommittedToEnd,
  waitForInputCommitted,
} from '../support/instance-kafka.ts';
import {
  waitUntilSharing,
  partitionOfTask,
  waitUntil,
  type InstanceProcess,
  type LogLine,
} from '../support/instance-process.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { uniqueName } from '../support/services.ts';

const PARTITIONS = 6;
const ALL = [0, 1, 2, 3, 4, 5];
// Quicker failure detection than the 10 s default: the survivor takes over ~6 s after the kill.
// No standbys: this test is about a full restore from the changelogs (test/integration/
// scale-out.test.ts has the standbys' failover).
const ENV = {
  SALDO_SESSION_TIMEOUT_MS: '6000',
  SALDO_HEARTBEAT_INTERVAL_MS: '1000',
  SALDO_NUM_STANDBY_REPLICAS: '0',
};

const sorted = (ps: Iterable<number>) => [...ps].sort((a, b) => a - b);

describe('failover between two instances (child processes), exactly-once, on a real broker', () => {
  const ws = useInstanceWorkspace('failover', { stopInstancesAfter: 'all' });
  const appId = uniqueName('failover');
  const topics = { input: `${appId}-in`, output: `${appId}-out` };
  const parts = [
    generateTransactions(1_000, 40, 21),
    generateTransactions(1_000, 40, 22),
    generateTransactions(1_000, 40, 23),
  ];

  beforeAll(async () => {
    await createTopic(ws.kafka, topics.input, PARTITIONS);
    await createTopic(ws.kafka, topics.output, PARTITIONS);
  });

  function start(name: string): InstanceProcess {
    return spawnCountingInstance({ name, appId, topics, root: ws.root, env: ENV });
  }

  /** Every committed output up to the end, checked against the reference of `produced`. */
  async function expectExactOutputs(produced: GeneratedTransaction[], instances: InstanceProcess[]) {
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.input,
      expectedRecords: produced.length,
      timeoutMs: 120_000,
      instances,
    });
    const outputs = await readCommittedToEnd(ws.kafka, ws.admin, topics.output);
    const updates = outputs.map((r) => parseTotals(r.key ?? '', r.value ?? ''));
    expect(checkOutputs(updates, referenceTotals(produced))).toEqual([]);
    // One committed output per input record: none lost, none duplicated by the failover.
    expect(updates).toHaveLength(produced.length);
  }

  it('moves the tasks of a killed instance to the survivor, restores them from the changelogs, moves them back on restart, and stays exact', async () => {
    const [part1, part2, part3] = parts as [
      GeneratedTransaction[],
      GeneratedTransaction[],
      GeneratedTransaction[],
    ];

    // Two instances, each with its own state directory (separate machines).
    const a = start('a');
    await a.waitForLine((l) => l.msg === 'app starting -> running', {
      timeoutMs: 60_000,
      what: 'a to start',
    });
    let b = start('b');
    await waitUntilSharing([{ instance: a }, { instance: b }], ALL, {
      timeoutMs: 90_000,
      what: 'a and b to share the 6 partitions',
    });

    const ofA = a.assignedPartitions() as number[];
    const ofB = b.assignedPartitions() as number[];

    // Part 1 flows in; once both instances run their tasks and b has committed input on each of its
    // partitions, b is killed (no final commit, no leaving the group), most likely mid-flow.
    let part1Sent = false;
    const flowing = produceFlowing(ws.kafka, topics.input, part1, { chunk: 20, pauseMs: 50 }).then(
      () => (part1Sent = true),
    );
    await waitUntil(
      async () => {
        if (a.runningPartitions().join() !== ofA.join() || b.runningPartitions().join() !== ofB.join())
          return false;
        const committed = await groupCommittedOffsets(ws.admin, appId, topics.input);
        return ofB.every((p) => (committed.get(p) ?? -1) > 0);
      },
      {
        timeoutMs: 120_000,
        what: 'a and b to run their tasks and b to commit on each of its partitions',
        instances: [a, b],
      },
    );
    const markA = a.mark();
    const bExit = await b.kill();
    expect(bExit.signal).toBe('SIGKILL');
    console.error(
      `[failover] b (partitions ${ofB.join()}) killed ${part1Sent ? 'after' : 'while'} part 1 was flowing in`,
    );
    await flowing;
    // Part 2 while only a runs.
    await produceTransactions(ws.kafka, topics.input, part2);

    // a takes all 6 tasks and restores b's from the changelogs.
    await waitUntil(
      () => a.assignedPartitions(markA)?.join() === ALL.join() && a.runningPartitions().join() === ALL.join(),
      {
        timeoutMs: 120_000,
        what: 'a to run all 6 tasks after b was killed',
        instances: [a],
      },
    );
    const restoredByA = a
      .linesSince(markA)
      .filter(
        (l): l is LogLine & { task: string; total: number } =>
          l.msg === 'restore complete' && typeof l.task === 'string' && typeof l.total === 'number',
      );
    const takenOver = restoredByA.filter((l) => ofB.includes(partitionOfTask(l.task)));
    expect(
      takenOver.some((l) => l.total > 0),
      `a restored b's tasks: ${JSON.stringify(restoredByA.map((l) => [l.task, l.total]))}`,
    ).toBe(true);
    await expectExactOutputs([...part1, ...part2], [a]);

    // Restart b on its state directory: tasks move back to it. It was killed, so nothing says how far
    // its local state is: it warms its share up first (from its local checkpoints), then takes it
    // over, a few tasks per probing rebalance, until each instance runs 3.
    const markA2 = a.mark();
    b = start('b');
    await waitUntil(() => b.runningPartitions().length === 3 && a.runningPartitions().length === 3, {
      timeoutMs: 120_000,
      what: 'the restarted b to run its 3 tasks again',
      instances: [a, b],
    });
    const backToB = b.runningPartitions();
    const keptByA = a.runningPartitions();
    expect(sorted([...backToB, ...keptByA])).toEqual(ALL);
    // a closed exactly the tasks it handed back.
    const closedByA = a.linesSince(markA2).filter((l) => l.msg === 'task closed' && l.reason === 'revoked');
    expect(sorted(closedByA.map((l) => partitionOfTask(l.task as string)))).toEqual(backToB);

    // Part 3 with both instances: b runs the tasks it got back, and
    // the final outputs are exact.
    await produceTransactions(ws.kafka, topics.input, part3);
    await expectExactOutputs([...part1, ...part2, ...part3], [a, b]);
    // b restored its tasks from the changelogs; for those it ran before the kill, only the tail
    // after its local checkpoint (what a committed while b was down), not the whole changelog.
    const restoredByB = b.lines.filter(
      (l) =>
        l.standby !== true &&
        (l.msg === 'restore complete' ||
          l.msg === 'stores are up to date with their changelogs; nothing to restore'),
    );
    expect([...new Set(restoredByB.map((l) => l.task))].sort()).toEqual(backToB.map((p) => `0_${p}`));
    const rangesOfB = b.lines.filter((l) => l.msg === 'restoring stores from changelogs');
    for (const line of rangesOfB.filter((l) => ofB.includes(partitionOfTask(l.task as string)))) {
      const ranges = line.ranges as Array<{ store: string; from: number; to: number }>;
      expect(
        ranges.every((r) => r.from > 0),
        `${line.task} restored from its checkpoint: ${JSON.stringify(ranges)}`,
      ).toBe(true);
    }
  }, 480_000);
});
