import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { AssignerProtocol, type Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { StreamThreadError, StreamThreadsApp, type TopologySource } from '../../processor/index.ts';
import {
  checkOutputs,
  generateTransactions,
  produceTransactions,
  readTotalsUpdates,
  referenceTotals,
} from '../support/counting.ts';
import { committedOffsetsSum, useAppFixture } from '../support/app-fixture.ts';
import { waitUntil } from '../support/instance-process.ts';
import { createTopic } from '../support/kafka.ts';
import { services } from '../support/services.ts';
import { topologyBuildsHere } from '../support/thread-recording-topology.ts';

const TOPOLOGIES = new URL('../../topologies/index.ts', import.meta.url).href;

/** saldo_records_processed_total summed per `thread` label. */
async function processedPerThread(metrics: Registry): Promise<Map<string, number>> {
  const processed = await metrics.getSingleMetric('saldo_records_processed_total')?.get();
  const perThread = new Map<string, number>();
  for (const v of processed?.values ?? []) {
    const thread = String(v.labels.thread);
    perThread.set(thread, (perThread.get(thread) ?? 0) + v.value);
  }
  return perThread;
}

describe('an instance with two stream threads', () => {
  const fx = useAppFixture('threads', 6);
  const { appId, topics } = fx;
  const source: TopologySource = {
    module: TOPOLOGIES,
    exportName: 'topologyByName',
    args: { name: 'counting', ...topics },
  };
  const config = (overrides: { applicationId?: string; streamThreads?: number } = {}) => ({
    applicationId: appId,
    brokers: services().kafkaBrokers,
    stateDir: fx.stateDir,
    processingGuarantee: 'exactly-once' as const,
    streamThreads: 2,
    logLevel: 'warn' as const,
    ...overrides,
  });

  /** An app of the counting topology on topics of its own (4 partitions), its input already produced. */
  const ownApp = async (suffix: string, seed: number) => {
    const app = `${appId}-${suffix}`;
    const own = { input: `${app}-in`, output: `${app}-out` };
    await createTopic(fx.kafka, own.input, 4);
    await createTopic(fx.kafka, own.output, 4);
    const txs = generateTransactions(1_200, 16, seed);
    await produceTransactions(fx.kafka, own.input, txs);
    const ownSource: TopologySource = {
      module: TOPOLOGIES,
      exportName: 'topologyByName',
      args: { name: 'counting', ...own },
    };
    return { app, topics: own, source: ownSource, txs };
  };

  it('shares the partitions between its threads, and the results are exact', async () => {
    const { kafka } = fx;
    const txs = generateTransactions(3_000, 40, 23);
    const restoredTasks = new Set<string>();
    const app = new StreamThreadsApp(source, config(), {
      onRestored: (taskId) => restoredTasks.add(taskId),
    });
    await app.start();
    expect(app.state).toBe('running');
    let summary;
    try {
      // Input only once the group has settled with both threads: a small input produced earlier
      // could be done by whichever thread joined first, before the other had any partition.
      const owned = await settledAssignment(kafka, appId, topics.input, 2);
      expect(owned.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
      for (const partitions of owned) expect(partitions.length).toBe(3);
      await produceTransactions(kafka, topics.input, txs);
      const updates = await readTotalsUpdates(kafka, topics.output, {
        expected: txs.length,
        isolation: 'read_committed',
        timeoutMs: 90_000,
      });
      expect(checkOutputs(updates, referenceTotals(txs))).toEqual([]);

      // Live metrics, as a metrics endpoint would serve them: both threads answer while running, and
      // every input record has been counted (its commit is what made its output readable).
      const live = await processedPerThread(await app.metrics());
      expect([...live.keys()].sort()).toEqual(['stream-thread-0', 'stream-thread-1']);
      for (const n of live.values()) expect(n).toBeGreaterThan(0);
      expect([...live.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(txs.length);
    } finally {
      summary = await app.stop();
    }
    expect(app.state).toBe('stopped');
    // Every one of the six tasks ran (in one thread or, after the threads' joins, in the other).
    expect([...restoredTasks].sort()).toEqual(['0_0', '0_1', '0_2', '0_3', '0_4', '0_5']);

    // Both threads processed records, and together exactly the input once (exactly-once).
    const perThread = await processedPerThread(summary.metrics);
    expect([...perThread.keys()].sort()).toEqual(['stream-thread-0', 'stream-thread-1']);
    for (const n of perThread.values()) expect(n).toBeGreaterThan(0);
    const committed = await committedOffsetsSum(kafka, appId, topics.input);
    expect(committed).toBe(txs.length);
  });

  it('runs thread 0 on the calling thread and every other thread in a worker', async () => {
    const before = topologyBuildsHere().length;
    const app = new StreamThreadsApp(
      {
        module: new URL('../support/thread-recording-topology.ts', import.meta.url).href,
        exportName: 'threadRecordingTopology',
        args: topics,
      },
      config({ applicationId: `${appId}-where`, streamThreads: 3 }),
    );
    try {
      await app.start();
      // Three threads, one build here: the other two were built in workers, with globals of their own.
      expect(topologyBuildsHere().slice(before)).toEqual([threadId]);
    } finally {
      await app.stop();
    }
    expect(app.state).toBe('stopped');
  });

  it('runs post-commit hooks built in each thread, which leave Redis exact', async () => {
    const { app: hooksApp, source: hooksSource, txs } = await ownApp('hooks', 31);
    const app = new StreamThreadsApp(hooksSource, config({ applicationId: hooksApp }), {
      postCommitHooks: [
        {
          module: new URL('../support/redis-totals-hook.ts', import.meta.url).href,
          exportName: 'redisTotalsHook',
          args: { redisUrl: services().redisUrl, keyPrefix: hooksApp },
        },
      ],
    });
    const redis = new Redis(services().redisUrl);
    const reference = referenceTotals(txs);
    const cached = async () =>
      Promise.all(
        [...reference.keys()].map(async (key) => [key, await redis.hgetall(`${hooksApp}:${key}`)] as const),
      );
    await app.start();
    try {
      await waitUntil(
        async () => (await cached()).every(([key, v]) => v.count === String(reference.get(key)?.count)),
        { timeoutMs: 60_000, what: 'the hooks to write every final total to Redis' },
      );
    } finally {
      await app.stop();
    }
    try {
      for (const [key, value] of await cached()) {
        const ref = reference.get(key);
        expect(value).toEqual({ count: String(ref?.count), sumMinor: ref?.sumMinor.toString() });
      }
    } finally {
      await redis.quit();
    }
  });

  it('gives every thread a Kafka client thread of its own with kafkaClientThread worker, exactly once', async () => {
    const { kafka } = fx;
    const { app: clientApp, source: clientSource, topics: clientTopics, txs } = await ownApp('client', 37);
    const app = new StreamThreadsApp(clientSource, {
      ...config({ applicationId: clientApp }),
      kafkaClientThread: 'worker' as const,
    });
    await app.start();
    try {
      const updates = await readTotalsUpdates(kafka, clientTopics.output, {
        expected: txs.length,
        isolation: 'read_committed',
        timeoutMs: 90_000,
      });
      expect(checkOutputs(updates, referenceTotals(txs))).toEqual([]);
    } finally {
      await app.stop();
    }
    expect(app.state).toBe('stopped');
    expect(await committedOffsetsSum(kafka, clientApp, clientTopics.input)).toBe(txs.length);
  });

  it('stops the whole instance, reporting which thread failed, when a running thread dies', async () => {
    const failures: StreamThreadError[] = [];
    const app = new StreamThreadsApp(
      {
        module: new URL('../support/exiting-topology.ts', import.meta.url).href,
        exportName: 'exitingTopology',
        // Long enough for both threads to be running first, on a loaded 2-core machine too.
        args: { ...topics, exitAfterMs: 20_000, code: 3 },
      },
      config({ applicationId: `${appId}-dies` }),
      { onFailed: (error) => failures.push(error) },
    );
    await app.start();
    expect(app.state).toBe('running');
    await waitUntil(() => app.state === 'stopped', {
      timeoutMs: 60_000,
      what: 'the instance to stop after its thread died',
    });
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures[0]?.message).toMatch(/^stream thread \d: exited with code 3$/);
  });

  it('ends a start that a stop interrupts, instead of waiting for threads that will never run', async () => {
    const app = new StreamThreadsApp(source, config({ applicationId: `${appId}-interrupted` }));
    // Its outcome is awaited from the start: the start may end before the stop does.
    const started = expect(app.start()).rejects.toThrow(StreamThreadError);
    await app.stop();
    await started;
    expect(app.state).toBe('stopped');
  });

  it('fails to start, naming the thread and the cause, when a thread cannot build its topology', async () => {
    const app = new StreamThreadsApp(
      { module: TOPOLOGIES, exportName: 'noSuchExport', args: {} },
      config({ applicationId: `${appId}-bad` }),
    );
    await expect(app.start()).rejects.toThrow(StreamThreadError);
    await expect(
      new StreamThreadsApp(
        { module: TOPOLOGIES, exportName: 'noSuchExport', args: {} },
        config({ applicationId: `${appId}-bad2` }),
      ).start(),
    ).rejects.toThrow(/stream thread \d: .*has no function export 'noSuchExport'/);
    expect(app.state).toBe('failed');
  });
});

/** Each member's partitions of the topic, once the group is stable with `members` members that all own some. */
async function settledAssignment(
  kafka: Kafka,
  groupId: string,
  topic: string,
  members: number,
): Promise<number[][]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      const owned = (group?.members ?? []).map(
        (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[topic] ?? [],
      );
      if (group?.state === 'Stable' && owned.length === members && owned.every((p) => p.length > 0))
        return owned;
      if (Date.now() > deadline) throw new Error(`group ${groupId} did not settle: ${JSON.stringify(group)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    await admin.disconnect();
  }
}
