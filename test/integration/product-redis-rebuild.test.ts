import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { StreamsApp } from '../../processor/index.ts';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import { redisBalanceCacheHook } from '../../topologies/balances/redis-balance-cache.ts';
import { prefixedProductTopics, PRODUCT_SINK, productTopology } from '../../topologies/product.ts';
import { committedOffsetsSum } from '../support/app-fixture.ts';
import { checkExpectedBalances } from '../support/expected-balances-check.ts';
import { connectTransactionSink, runGeneratorInto } from '../support/generator-sinks.ts';
import { createTopic, testKafka } from '../support/kafka.ts';
import { services, uniqueName } from '../support/services.ts';

const RECORDS = 1_500;
const ACCOUNTS = 60;

describe('the Redis serving cache after Redis lost its data', () => {
  let kafka: Kafka;
  let root: string;
  const appId = uniqueName('rebuild');
  const topics = prefixedProductTopics(appId);
  const prefix = `${appId}:`;

  beforeAll(async () => {
    kafka = testKafka();
    root = await mkdtemp(join(tmpdir(), 'saldo-rebuild-'));
    await createTopic(kafka, topics.transactions, 3);
    await createTopic(kafka, topics.balances, 3);
    await createTopic(kafka, topics.accountLimits, 3);
    await createTopic(kafka, topics.fraudAlerts, 3);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const newApp = () => {
    const app = new StreamsApp(
      productTopology({
        topics,
        serdes: productSerdes(ConfluentAvroRegistry.connect(services().schemaRegistryUrl)),
      }),
      {
        applicationId: appId,
        brokers: services().kafkaBrokers,
        stateDir: join(root, 'state'),
        logLevel: 'warn',
      },
    );
    app.onCommitted(
      redisBalanceCacheHook({
        redisUrl: services().redisUrl,
        keyPrefix: prefix,
        applicationId: appId,
        sink: PRODUCT_SINK,
        logLevel: 'warn',
      }),
    );
    return app;
  };
  const check = (expectedPath: string) =>
    checkExpectedBalances(expectedPath, { balancesTopic: topics.balances, redisKeyPrefix: prefix });
  const waitFor = async (condition: () => Promise<boolean>, what: string) => {
    for (const deadline = Date.now() + 60_000; !(await condition());) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen within 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  it('is rebuilt from the balances changelog when the tasks start again', async () => {
    const expectedPath = join(root, 'expected.jsonl');
    const first = newApp();
    await first.start();
    await runGeneratorInto(
      { transactions: await connectTransactionSink(topics.transactions) },
      {
        accounts: ACCOUNTS,
        count: RECORDS,
        seed: 11,
        startTime: Date.now(),
        topic: topics.transactions,
        expectedPath,
        batchSize: 500,
      },
    );
    await waitFor(
      async () => (await committedOffsetsSum(kafka, appId, topics.transactions)) >= RECORDS,
      'all input committed',
    );
    await first.stop();
    expect((await check(expectedPath)).redis.matched).toBe(ACCOUNTS);

    // Redis loses everything of this app: balances and sync markers.
    const redis = new Redis(services().redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(ACCOUNTS);
    await redis.del(...keys);
    redis.disconnect();
    expect((await check(expectedPath)).redis.matched).toBe(0);

    // No new input: only the tasks' start can bring Redis back, from the changelog.
    const second = newApp();
    await second.start();
    try {
      await waitFor(async () => (await check(expectedPath)).redis.matched === ACCOUNTS, 'Redis rebuilt');
    } finally {
      await second.stop();
    }
    const rebuilt = await check(expectedPath);
    expect(rebuilt.redis.mismatches).toEqual([]);
    expect(rebuilt.topic.mismatches).toEqual([]);
  });
});
