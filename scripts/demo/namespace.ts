// The demo's own corner of the local platform: its app id, topics, Redis keys and state, which it
// resets at every start so that each run is checked against its own expected balances.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Admin } from 'kafkajs';
import { REPO_ROOT } from '../platform/options.ts';

export const DEMO = {
  appId: 'saldo-demo',
  topics: {
    transactions: 'transactions',
    balances: 'balances',
    accountLimits: 'account-limits',
    fraudAlerts: 'fraud-alerts',
  },
  redisKeyPrefix: 'saldo:',
  partitions: 4,
  dir: join(REPO_ROOT, '.platform', 'demo'),
} as const;

export const demoPaths = {
  state: join(DEMO.dir, 'state'),
  log: join(DEMO.dir, 'saldo.log'),
  expected: join(DEMO.dir, 'expected.jsonl'),
  labels: join(DEMO.dir, 'labels.jsonl'),
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Deletes what an earlier demo left: topics (waiting until Kafka has), the group, Redis keys, state. */
export async function resetDemo(admin: Admin, redisUrl: string): Promise<string[]> {
  const existing = await admin.listTopics();
  const ours = existing.filter(
    (topic) => Object.values<string>(DEMO.topics).includes(topic) || topic.startsWith(`${DEMO.appId}-`),
  );
  if (ours.length > 0) {
    await admin.deleteTopics({ topics: ours, timeout: 30_000 });
    for (const deadline = Date.now() + 60_000; ; await sleep(250)) {
      const left = (await admin.listTopics()).filter((topic) => ours.includes(topic));
      if (left.length === 0) break;
      if (Date.now() > deadline) throw new Error(`Kafka did not delete ${left.join(', ')} within 60 s`);
    }
  }
  const groups = (await admin.listGroups()).groups.map((group) => group.groupId);
  const ourGroups = groups.filter((group) => group === DEMO.appId || group.startsWith(`${DEMO.appId}-`));
  if (ourGroups.length > 0) await admin.deleteGroups(ourGroups).catch(() => undefined);
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${DEMO.redisKeyPrefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  await rm(DEMO.dir, { recursive: true, force: true });
  return ours;
}
