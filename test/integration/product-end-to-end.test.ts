import { prefixedProductTopics } from '../../topologies/product.ts';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  connectKafkaSink,
  readExpectedBalances,
  runGenerator,
  silentProgress,
  systemRunClock,
} from '../../cli/generate/index.ts';
import { checkBalances } from '../../cli/verify/balances-check.ts';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import { createTopic } from '../support/kafka.ts';
import { groupCommittedOffsets, waitForInputCommitted } from '../support/instance-kafka.ts';
import { waitUntil, waitUntilSharing } from '../support/instance-process.ts';
import { spawnProductInstance } from '../support/product-instance.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 6;
const ALL = [0, 1, 2, 3, 4, 5];
const RECORDS = 12_000;
const ACCOUNTS = 600;
const RATE = 2_000;

/**
 * Watches every write to the balance hashes (Redis keyspace notifications) and reads the version
 * after each: the versions a key is seen with must never go down.
 */
async function watchVersions(redisUrl: string, prefix: string) {
  const subscriber = new Redis(redisUrl);
  const reader = new Redis(redisUrl);
  await reader.config('SET', 'notify-keyspace-events', 'Kh');
  const seen = new Map<string, number>();
  const regressions: string[] = [];
  let events = 0;
  const channel = `__keyspace@0__:${prefix}balance:*`;
  subscriber.on('pmessage', (_pattern, name: string, event: string) => {
    if (event !== 'hset') return;
    events += 1;
    const key = name.slice('__keyspace@0__:'.length);
    void reader.hget(key, 'version').then((text) => {
      const version = Number(text);
      const before = seen.get(key) ?? 0;
      if (version < before) regressions.push(`${key}: ${before} then ${version}`);
      else seen.set(key, version);
    });
  });
  await subscriber.psubscribe(channel);
  return {
    get events() {
      return events;
    },
    regressions,
    async stop() {
      await subscriber.punsubscribe(channel);
      await reader.config('SET', 'notify-keyspace-events', '');
      subscriber.disconnect();
      reader.disconnect();
    },
  };
}

describe('the product end to end: generator → two saldo instances, one killed midway → Redis and the balances topic', () => {
  const ws = useInstanceWorkspace('product-e2e', { stopInstancesAfter: 'all' });
  const appId = uniqueName('product-e2e');
  const topics = prefixedProductTopics(appId);
  const prefix = `${appId}:`;

  beforeAll(async () => {
    await createTopic(ws.kafka, topics.transactions, PARTITIONS);
    await createTopic(ws.kafka, topics.balances, PARTITIONS);
    await createTopic(ws.kafka, topics.accountLimits, PARTITIONS);
    await createTopic(ws.kafka, topics.fraudAlerts, PARTITIONS);
  });

  const start = (name: string) =>
    spawnProductInstance({ name, appId, topics, root: ws.root, redisKeyPrefix: prefix });

  it('every account’s balance in Redis and on the topic equals the generator’s expected one, and no Redis hash went back in version', async () => {
    const a = start('a');
    const b = start('b');
    await waitUntilSharing([{ instance: a }, { instance: b }], ALL, {
      timeoutMs: 90_000,
      what: 'both instances to share the partitions',
    });
    const versions = await watchVersions(services().redisUrl, prefix);
    const expectedPath = join(ws.root, 'expected.jsonl');
    const sink = await connectKafkaSink({
      brokers: services().kafkaBrokers,
      topic: topics.transactions,
      serde: productSerdes(ConfluentAvroRegistry.connect(services().schemaRegistryUrl)).transaction,
      log: () => undefined,
    });
    // Kill b once a third of the traffic is out and it has committed some of it.
    let killedAfter: number | undefined;
    const killer = (async () => {
      await waitUntil(
        async () => {
          const committed = await groupCommittedOffsets(ws.admin, appId, topics.transactions);
          return [...committed.values()].reduce((sum, offset) => sum + Math.max(0, offset), 0) >= RECORDS / 3;
        },
        { timeoutMs: 60_000, what: 'a third of the traffic committed', instances: [a, b], pollMs: 100 },
      );
      killedAfter = [...(await groupCommittedOffsets(ws.admin, appId, topics.transactions)).values()].reduce(
        (sum, offset) => sum + Math.max(0, offset),
        0,
      );
      await b.kill();
    })();
    try {
      const summary = await runGenerator(
        {
          accounts: ACCOUNTS,
          count: RECORDS,
          rate: RATE,
          seed: 7,
          startTime: Date.now(),
          topic: topics.transactions,
          expectedPath,
          batchSize: 200,
        },
        sink,
        { clock: systemRunClock, progress: silentProgress },
      );
      expect(summary.records).toBe(RECORDS);
      expect(summary.duplicates).toBeGreaterThan(0);
      expect(summary.lateAuthorizations).toBeGreaterThan(0);
    } finally {
      await sink.close();
    }
    await killer;
    expect(b.exit?.signal).toBe('SIGKILL');
    expect(killedAfter).toBeLessThan(RECORDS);

    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.transactions,
      expectedRecords: RECORDS,
      timeoutMs: 180_000,
      instances: [a],
    });
    const expected = await readExpectedBalances(expectedPath);
    expect(expected.size).toBe(ACCOUNTS);
    const checkNow = () =>
      checkBalances({
        expected,
        brokers: services().kafkaBrokers,
        registryUrl: services().schemaRegistryUrl,
        redisUrl: services().redisUrl,
        redisKeyPrefix: prefix,
        balancesTopic: topics.balances,
      });
    // Redis is written after each commit: give the survivor's last writes and catch-ups a moment.
    let check = await checkNow();
    for (let attempt = 0; attempt < 20 && check.redis.mismatches.length > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      check = await checkNow();
    }
    await versions.stop();
    expect(check.topic.mismatches.slice(0, 3)).toEqual([]);
    expect(check.topic.matched).toBe(ACCOUNTS);
    expect(check.redis.mismatches.slice(0, 3)).toEqual([]);
    expect(check.redis.matched).toBe(ACCOUNTS);
    expect(versions.events).toBeGreaterThan(ACCOUNTS);
    expect(versions.regressions).toEqual([]);
  });
});
