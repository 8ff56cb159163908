import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { checkOutputs, generateTransactions, parseTotals, produceTransactions, referenceTotals, type GeneratedTransaction } from '../support/counting.ts';
import { createTopic, testKafka } from '../support/kafka.ts';
import { groupCommittedOffsets, produceFlowing, readCommittedToEnd, waitForInputCommitted } from '../support/instance-kafka.ts';
import { InstanceProcess, killAllInstances, stopAllInstances, waitUntil, type LogLine } from '../support/instance-process.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 6;
const ALL = [0, 1, 2, 3, 4, 5];
const SESSION_TIMEOUT_MS = 6_000;
const ENV = { SALDO_SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS), SALDO_HEARTBEAT_INTERVAL_MS: '1000' };

const sorted = (ps: Iterable<number>) => [...ps].sort((a, b) => a - b);

describe('a frozen instance (a zombie) comes back, exactly-once, on a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  let root: string;
  let failed = false;
  const appId = uniqueName('zombie');
  const topics = { input: `${appId}-in`, output: `${appId}-out` };
  const part1 = generateTransactions(1_000, 40, 31);
  const part2 = generateTransactions(2_000, 40, 32);
  const part3 = generateTransactions(1_000, 40, 33);

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    root = await mkdtemp(join(tmpdir(), 'saldo-zombie-'));
    await createTopic(kafka, topics.input, PARTITIONS);
    await createTopic(kafka, topics.output, PARTITIONS);
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });
  afterAll(async () => {
    await stopAllInstances(10_000).catch(() => killAllInstances());
    await admin?.disconnect();
    if (failed || process.env.SALDO_KEEP_INSTANCE_LOGS) console.error(`[zombie] instance logs and state kept in ${root}`);
    else await rm(root, { recursive: true, force: true });
  });

  function start(name: string): InstanceProcess {
    return InstanceProcess.spawn({
      name,
      appId,
      input: topics.input,
      output: topics.output,
      stateDir: join(root, `state-${name}`),
      brokers: services().kafkaBrokers,
      env: ENV,
      logDir: root,
    });
  }

  it('fences the frozen instance when it resumes: it commits nothing for the tasks it lost, and the results stay exact', async () => {
    const a = start('a');
    await a.waitForLine((l) => l.msg === 'app starting -> running', { timeoutMs: 60_000, what: 'a to start' });
    const b = start('b');
    await waitUntil(
      () => {
        const pa = a.assignedPartitions() ?? [];
        const pb = b.assignedPartitions() ?? [];
        return pa.length > 0 && pb.length > 0 && sorted([...pa, ...pb]).join() === ALL.join();
      },
      { timeoutMs: 90_000, what: 'a and b to share the 6 partitions', instances: [a, b] },
    );
    const ofA = a.assignedPartitions() as number[];

    // Part 1: both instances run their tasks.
    await produceTransactions(kafka, topics.input, part1);
    await waitForInputCommitted(admin, { groupId: appId, topic: topics.input, expectedRecords: part1.length, timeoutMs: 120_000, instances: [a, b] });
    expect(a.runningPartitions()).toEqual(ofA);
    expect(b.runningPartitions()).toEqual(b.assignedPartitions());
    const afterPart1 = await groupCommittedOffsets(admin, appId, topics.input);

    // Part 2 flows in. Once a has committed some of it, a is frozen (SIGSTOP) with its tasks, its
    // producers and whatever it has fetched and buffered.
    const flowing = produceFlowing(kafka, topics.input, part2, { chunk: 25, pauseMs: 100 });
    await waitUntil(
      async () => {
        const committed = await groupCommittedOffsets(admin, appId, topics.input);
        return ofA.some((p) => (committed.get(p) ?? -1) > (afterPart1.get(p) ?? 0));
      },
      { timeoutMs: 60_000, what: 'a to commit some of part 2', instances: [a, b] },
    );
    const markB = b.mark();
    a.signal('SIGSTOP');
    const frozenAt = await groupCommittedOffsets(admin, appId, topics.input);

    // After the session timeout the group drops a; b takes all 6 tasks, which fences a's producers.
    await waitUntil(() => b.assignedPartitions(markB)?.join() === ALL.join() && b.runningPartitions().join() === ALL.join(), {
      timeoutMs: 120_000,
      what: 'b to run all 6 tasks while a is frozen',
      instances: [b],
    });
    expect(b.linesSince(markB).filter((l) => l.msg === 'restore complete').length).toBeGreaterThan(0);
    // b moves a's partitions beyond where a was frozen: a's local state is now stale.
    await waitUntil(
      async () => {
        const committed = await groupCommittedOffsets(admin, appId, topics.input);
        return ofA.every((p) => (committed.get(p) ?? -1) > (frozenAt.get(p) ?? 0));
      },
      { timeoutMs: 120_000, what: "b to commit past a's offsets on a's partitions", instances: [b] },
    );

    // Thaw a while input still flows (most likely).
    const markA = a.mark();
    a.signal('SIGCONT');
    const zombieNews = (l: LogLine) => l.msg === 'partitions assigned' || /fenced/i.test(JSON.stringify(l));
    const news = await a.waitForLine(zombieNews, { since: markA, timeoutMs: 120_000, what: 'a to see a fencing or a new assignment after it resumed' });
    expect(news.msg === 'partitions assigned' || /fenced/i.test(JSON.stringify(news))).toBe(true);
    await flowing;

    // The group settles with both members again; part 3 goes to both.
    await waitUntil(
      () => {
        const pa = a.assignedPartitions(markA) ?? [];
        const pb = b.assignedPartitions(markB) ?? [];
        return pa.length > 0 && pb.length > 0 && sorted([...pa, ...pb]).join() === ALL.join();
      },
      { timeoutMs: 120_000, what: 'a and b to share the 6 partitions again', instances: [a, b] },
    );
    await produceTransactions(kafka, topics.input, part3);

    const all: GeneratedTransaction[] = [...part1, ...part2, ...part3];
    await waitForInputCommitted(admin, { groupId: appId, topic: topics.input, expectedRecords: all.length, timeoutMs: 180_000, instances: [a, b] });
    const outputs = await readCommittedToEnd(kafka, admin, topics.output);
    const updates = outputs.map((r) => parseTotals(r.key ?? '', r.value ?? ''));
    expect(checkOutputs(updates, referenceTotals(all))).toEqual([]);
    expect(updates).toHaveLength(all.length);
    expect(a.exit).toBeUndefined();
    expect(b.exit).toBeUndefined();
  }, 600_000);

  it('fences an instance frozen while idle: when it resumes it neither commits stale work nor stalls the tasks it gets back', async () => {
    const appId2 = `${appId}-idle`;
    const topics2 = { input: `${appId2}-in`, output: `${appId2}-out` };
    await createTopic(kafka, topics2.input, PARTITIONS);
    await createTopic(kafka, topics2.output, PARTITIONS);
    const startIdle = (name: string) =>
      InstanceProcess.spawn({
        name,
        appId: appId2,
        input: topics2.input,
        output: topics2.output,
        stateDir: join(root, `idle-state-${name}`),
        brokers: services().kafkaBrokers,
        env: ENV,
        logDir: root,
      });
    const idle1 = generateTransactions(1_000, 40, 41);
    const idle2 = generateTransactions(1_000, 40, 42);
    const idle3 = generateTransactions(1_000, 40, 43);

    const a = startIdle('a');
    await a.waitForLine((l) => l.msg === 'app starting -> running', { timeoutMs: 60_000, what: 'a to start' });
    const b = startIdle('b');
    await waitUntil(
      () => {
        const pa = a.assignedPartitions() ?? [];
        const pb = b.assignedPartitions() ?? [];
        return pa.length > 0 && pb.length > 0 && sorted([...pa, ...pb]).join() === ALL.join();
      },
      { timeoutMs: 90_000, what: 'a and b to share the 6 partitions', instances: [a, b] },
    );
    const ofA = a.assignedPartitions() as number[];
    await produceTransactions(kafka, topics2.input, idle1);
    await waitForInputCommitted(admin, { groupId: appId2, topic: topics2.input, expectedRecords: idle1.length, timeoutMs: 120_000, instances: [a, b] });
    expect(a.runningPartitions()).toEqual(ofA);

    // a is frozen with nothing to commit; input flows to b, which takes all 6 tasks and commits it all.
    const markB = b.mark();
    a.signal('SIGSTOP');
    const flowing = produceFlowing(kafka, topics2.input, idle2, { chunk: 25, pauseMs: 100 });
    await waitUntil(() => b.assignedPartitions(markB)?.join() === ALL.join() && b.runningPartitions().join() === ALL.join(), {
      timeoutMs: 120_000,
      what: 'b to run all 6 tasks while a is frozen',
      instances: [b],
    });
    await flowing;
    await waitForInputCommitted(admin, {
      groupId: appId2,
      topic: topics2.input,
      expectedRecords: idle1.length + idle2.length,
      timeoutMs: 120_000,
      instances: [b],
    });

    // a resumes: its tasks' stores and producers are stale. It rejoins; then part 3 goes to both.
    const markA = a.mark();
    a.signal('SIGCONT');
    await a.waitForLine((l) => l.msg === 'partitions assigned' || /fenced/i.test(JSON.stringify(l)), {
      since: markA,
      timeoutMs: 120_000,
      what: 'a to see a fencing or a new assignment after it resumed',
    });
    await waitUntil(
      () => {
        const pa = a.assignedPartitions(markA) ?? [];
        const pb = b.assignedPartitions(markB) ?? [];
        return pa.length > 0 && pb.length > 0 && sorted([...pa, ...pb]).join() === ALL.join();
      },
      { timeoutMs: 120_000, what: 'a and b to share the 6 partitions again', instances: [a, b] },
    );
    await produceTransactions(kafka, topics2.input, idle3);

    const all: GeneratedTransaction[] = [...idle1, ...idle2, ...idle3];
    await waitForInputCommitted(admin, { groupId: appId2, topic: topics2.input, expectedRecords: all.length, timeoutMs: 120_000, instances: [a, b] });
    const outputs = await readCommittedToEnd(kafka, admin, topics2.output);
    const updates = outputs.map((r) => parseTotals(r.key ?? '', r.value ?? ''));
    expect(checkOutputs(updates, referenceTotals(all))).toEqual([]);
    expect(updates).toHaveLength(all.length);
  }, 600_000);
});
