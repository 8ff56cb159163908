import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { StreamsApp } from '../../processor/index.ts';
import { countingTopology, type AccountTotals } from '../../topologies/counting.ts';
import { generateTransactions, produceTransactions, referenceTotals } from '../support/counting.ts';
import { createTopic, testKafka } from '../support/kafka.ts';
import { services, uniqueName } from '../support/services.ts';
import { waitUntil } from '../support/instance-process.ts';

describe('post-commit hooks (the serving cache)', () => {
  let kafka: Kafka;
  let redis: Redis;
  let stateDir: string;
  const appId = uniqueName('hooks');
  const topics = { input: `${appId}-in`, output: `${appId}-out` };

  beforeAll(async () => {
    kafka = testKafka();
    redis = new Redis(services().redisUrl);
    stateDir = await mkdtemp(join(tmpdir(), 'saldo-hooks-'));
    await createTopic(kafka, topics.input, 3);
    await createTopic(kafka, topics.output, 3);
  });
  afterAll(async () => {
    await redis.quit();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('see committed outputs in order per partition, are retried when they fail, and leave Redis exact', async () => {
    const txs = generateTransactions(1_500, 20, 5);
    await produceTransactions(kafka, topics.input, txs);
    const reference = referenceTotals(txs);

    const lastCountSeen = new Map<string, number>();
    const orderProblems: string[] = [];
    let calls = 0;
    let failuresInjected = 0;
    const app = new StreamsApp(countingTopology(topics), {
      applicationId: appId,
      brokers: services().kafkaBrokers,
      stateDir,
      logLevel: 'warn',
    });
    app.onCommitted(async ({ outputs }) => {
      calls++;
      // Every third call fails once: the engine must retry it, with the same outputs.
      if (calls % 3 === 0) {
        failuresInjected++;
        throw new Error('redis briefly unavailable');
      }
      const pipeline = redis.pipeline();
      for (const o of outputs) {
        const totals = o.value as AccountTotals;
        const key = `${o.key as string}|${totals.currency}`;
        const previous = lastCountSeen.get(key) ?? 0;
        // A retried call replays outputs already applied: idempotent by count; never a gap.
        if (totals.count > previous + 1) orderProblems.push(`${key}: ${totals.count} after ${previous}`);
        if (totals.count > previous) lastCountSeen.set(key, totals.count);
        pipeline.hset(`${appId}:${key}`, {
          count: String(totals.count),
          sumMinor: totals.sumMinor.toString(),
        });
      }
      await pipeline.exec();
    });
    await app.start();
    try {
      await waitUntil(() => [...reference].every(([key, ref]) => lastCountSeen.get(key) === ref.count), {
        timeoutMs: 60_000,
        what: 'the hook to see every final total',
      });
    } finally {
      await app.stop();
    }
    expect(orderProblems).toEqual([]);
    expect(failuresInjected).toBeGreaterThan(0);
    for (const [key, ref] of reference) {
      expect(await redis.hgetall(`${appId}:${key}`)).toEqual({
        count: String(ref.count),
        sumMinor: ref.sumMinor.toString(),
      });
    }
  });
});
