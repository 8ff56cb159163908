import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, StreamsApp, deadLetterTopicFor } from '../../processor/index.ts';
import type { RestoreSummary } from '../../state/index.ts';
import type { StreamTask } from '../../processor/task.ts';
import { countingTopology } from '../../topologies/counting.ts';
import {
  checkOutputs,
  generateTransactions,
  produceTransactions,
  readTotalsUpdates,
  referenceTotals,
} from '../support/counting.ts';
import { groupCommittedStreamTimes } from '../support/instance-kafka.ts';
import { waitUntil } from '../support/instance-process.ts';
import { useAppFixture } from '../support/app-fixture.ts';
import { readTopic } from '../support/kafka.ts';
import { services } from '../support/services.ts';

const PARTITIONS = 4;

// Both places the Kafka client can run (config kafkaClientThread) must give the same guarantees.
describe.each(['worker', 'main'] as const)(
  'the engine, exactly-once, on a real broker (Kafka client thread: %s)',
  (clientThread) => {
    const fx = useAppFixture(`eos-${clientThread}`, PARTITIONS);
    const { appId, topics } = fx;
    const txs = generateTransactions(3_000, 40, 7);

    function newApp(restores: Map<string, RestoreSummary>): StreamsApp {
      return new StreamsApp(
        countingTopology(topics),
        {
          applicationId: appId,
          brokers: services().kafkaBrokers,
          stateDir: fx.stateDir,
          logLevel: 'warn',
          commitIntervalMs: 100,
          kafkaClientThread: clientThread,
        },
        { onRestored: (taskId, summary) => restores.set(taskId, summary) },
      );
    }

    const committedOutputs = (expected: number) =>
      readTotalsUpdates(fx.kafka, topics.output, { expected, isolation: 'read_committed' });

    it('computes exact per-account totals, dead-letters bad input, and goes on', async () => {
      await produceTransactions(fx.kafka, topics.input, txs.slice(0, 2_000));
      const producer = fx.kafka.producer();
      await producer.connect();
      await producer.send({
        topic: topics.input,
        messages: [
          { key: 'acct-bad', value: '{"txId": "broken json', partition: 1, headers: { origin: 'test' } },
          {
            key: 'acct-bad',
            value: JSON.stringify({ txId: 'x', amountMinor: '12.50', currency: 'MXN' }),
            partition: 2,
          },
        ],
      });
      await producer.disconnect();
      await produceTransactions(fx.kafka, topics.input, txs.slice(2_000));

      const restores = new Map<string, RestoreSummary>();
      const app = newApp(restores);
      await app.start();
      try {
        const updates = await committedOutputs(txs.length);
        expect(checkOutputs(updates, referenceTotals(txs))).toEqual([]);
        expect(updates).toHaveLength(txs.length);

        const dead = await readTopic(fx.kafka, deadLetterTopicFor(appId), {
          isolation: 'read_committed',
          done: (s) => s.length >= 2,
        });
        const byReason = new Map(dead.map((d) => [d.headers?.[DLQ_HEADERS.reason]?.toString(), d]));
        const undecodable = byReason.get('deserialization');
        const throwing = byReason.get('processing');
        expect(undecodable?.value).toBe('{"txId": "broken json');
        expect(undecodable?.headers?.[DLQ_HEADERS.partition]?.toString()).toBe('1');
        expect(undecodable?.headers?.origin?.toString()).toBe('test');
        expect(throwing?.headers?.[DLQ_HEADERS.errorMessage]?.toString()).toMatch(
          /amountMinor must be integer minor units/,
        );
        expect(throwing?.headers?.[DLQ_HEADERS.topic]?.toString()).toBe(topics.input);
        expect(dead).toHaveLength(2);
        expect(await app.metrics.registry.getSingleMetricAsString('saldo_dead_letters_total')).toMatch(
          /reason="processing".* 1/,
        );
        expect([...restores.values()].every((r) => r.total === 0)).toBe(true);
      } finally {
        await app.stop();
      }
    });

    it('restarts from its local state and committed offsets: no reprocessing, no full restore', async () => {
      // The first run committed each task's stream time with its offsets (Kafka's offset metadata).
      const admin = fx.kafka.admin();
      await admin.connect();
      const before = await groupCommittedStreamTimes(admin, appId, topics.input);
      expect(before.size).toBe(PARTITIONS);
      for (const streamTime of before.values()) {
        expect(streamTime).toBeGreaterThan(Date.now() - 10 * 60_000);
        expect(streamTime).toBeLessThanOrEqual(Date.now());
      }
      const restores = new Map<string, RestoreSummary>();
      const app = newApp(restores);
      await app.start();
      try {
        // Restarted tasks go on from the committed stream time before they see a new record.
        await waitUntil(() => restores.size === PARTITIONS, { timeoutMs: 60_000, what: 'tasks running' });
        const running = [...(app.taskManager?.tasks ?? new Map<number, StreamTask>())];
        expect(running.map(([p, task]) => [p, task.streamTime])).toEqual(
          running.map(([p]) => [p, before.get(p)]),
        );

        const more = generateTransactions(500, 40, 8);
        await produceTransactions(fx.kafka, topics.input, more);
        const all = [...txs, ...more];
        const updates = await committedOutputs(all.length);
        expect(checkOutputs(updates, referenceTotals(all))).toEqual([]);
        expect(updates).toHaveLength(all.length);
        // Local state was intact and covered by its checkpoints: nothing was restored.
        expect(restores.size).toBe(PARTITIONS);
        expect([...restores.values()].map((r) => r.total)).toEqual([0, 0, 0, 0]);
      } finally {
        await app.stop();
      }
      // The new records moved every partition's committed stream time on.
      const after = await groupCommittedStreamTimes(admin, appId, topics.input);
      await admin.disconnect();
      for (const [p, streamTime] of after) expect(streamTime).toBeGreaterThan(before.get(p) ?? Infinity);
    });

    it('rebuilds lost local state from the changelogs', async () => {
      await rm(fx.stateDir, { recursive: true, force: true });
      const restores = new Map<string, RestoreSummary>();
      const app = newApp(restores);
      await app.start();
      try {
        const more = generateTransactions(300, 40, 9);
        await produceTransactions(fx.kafka, topics.input, more);
        const all = [...txs, ...generateTransactions(500, 40, 8), ...more];
        const updates = await committedOutputs(all.length);
        expect(checkOutputs(updates, referenceTotals(all))).toEqual([]);
        const restored = [...restores.values()].reduce((sum, r) => sum + r.total, 0);
        expect(restored).toBeGreaterThan(0);
      } finally {
        await app.stop();
      }
    });
  },
);
