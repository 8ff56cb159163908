import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type ChangelogRecordRead, type CommittedEvent } from '../../processor/index.ts';
import { stringSerde } from '../../state/index.ts';
import {
  accountBalancesSerde,
  emptyAccountBalances,
  positionOf,
  snapshotOf,
  type AccountBalances,
} from '../../topologies/balances/account-balances.ts';
import { Registry } from 'prom-client';
import { RedisBalanceCache, redisCacheMetricsOn } from '../../topologies/balances/redis-balance-cache.ts';
import { balanceKey, snapshotFromServingHash } from '../../topologies/balances/serving-hash.ts';
import { services, uniqueName } from '../support/services.ts';

/** An account's balances at a version: MXN ledger = 100 × version. */
function accountAt(version: number): AccountBalances {
  const account = emptyAccountBalances();
  account.version = version;
  account.lastTransactionId = `tx-${version}`;
  account.eventTime = 1_000 + version;
  account.processingTime = 2_000 + version;
  positionOf(account, 'MXN').ledgerMinor = BigInt(version) * 100n;
  return account;
}

function committed(taskId: string, checkpoint: bigint, accounts: Record<string, number>): CommittedEvent {
  return {
    taskId,
    partition: 0,
    checkpoints: new Map([['balances', checkpoint]]),
    outputs: Object.entries(accounts).map(([accountId, version]) => ({
      sink: 'balances-out',
      topic: 'balances',
      key: accountId,
      value: snapshotOf(accountId, accountAt(version)),
      timestamp: 0,
    })),
  };
}

/** A balances changelog in memory: records at offsets 0, 1, 2… */
function changelog(entries: Array<[string, number]>): ChangelogRecordRead[] {
  return entries.map(([accountId, version], offset) => ({
    key: stringSerde.serialize(accountId),
    value: accountBalancesSerde.serialize(accountAt(version)),
    offset,
  }));
}

describe('the Redis balance cache', () => {
  let redis: Redis;
  let prefix: string;
  const caches: RedisBalanceCache[] = [];
  const newCache = () => {
    const cache = new RedisBalanceCache(
      new Redis(services().redisUrl),
      { redisUrl: services().redisUrl, keyPrefix: prefix, applicationId: 'app', sink: 'balances-out' },
      createLogger({ level: 'silent' }),
    );
    caches.push(cache);
    return cache;
  };
  const version = async (accountId: string) =>
    Number(await redis.hget(balanceKey(prefix, accountId), 'version'));

  beforeAll(() => {
    redis = new Redis(services().redisUrl);
    prefix = `${uniqueName('cache')}:`;
  });
  afterAll(async () => {
    await Promise.all(caches.map((cache) => cache.close()));
    redis.disconnect();
  });

  it('writes one hash per account that a reader gets with one HGETALL', async () => {
    const cache = newCache();
    await cache.onCommitted(committed('0_0', 10n, { 'acct-1': 3 }));
    const hash = await redis.hgetall(balanceKey(prefix, 'acct-1'));
    expect(hash).toEqual({
      version: '3',
      accountId: 'acct-1',
      cause: 'TRANSACTION',
      lastTransactionId: 'tx-3',
      eventTime: '1003',
      processingTime: '2003',
      currencies: 'MXN',
      'MXN:ledgerMinor': '300',
      'MXN:heldMinor': '0',
      'MXN:availableMinor': '300',
    });
    expect(snapshotFromServingHash(hash)).toEqual(snapshotOf('acct-1', accountAt(3)));
    expect(await redis.get(cache.markerKey('0_0'))).toBe('10');
  });

  it('never lets an older version overwrite a newer one', async () => {
    const cache = newCache();
    await cache.onCommitted(committed('0_1', 5n, { 'acct-2': 7 }));
    await cache.onCommitted(committed('0_1', 6n, { 'acct-2': 4 }));
    expect(await version('acct-2')).toBe(7);
    expect(await redis.hget(balanceKey(prefix, 'acct-2'), 'MXN:ledgerMinor')).toBe('700');
    await cache.onCommitted(committed('0_1', 7n, { 'acct-2': 8 }));
    expect(await version('acct-2')).toBe(8);
  });

  it('writes only the latest snapshot of an account per commit, in one pipeline', async () => {
    const cache = newCache();
    const event = committed('0_2', 3n, { 'acct-3': 1 });
    event.outputs.push(...committed('0_2', 3n, { 'acct-3': 2 }).outputs);
    await cache.onCommitted(event);
    expect(await version('acct-3')).toBe(2);
  });

  it('writes every account of a commit larger than one script call, older versions still refused', async () => {
    const cache = newCache();
    // 600 accounts: three script calls (256 hashes each at most); one already holds a newer version.
    const accounts = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`bulk-${i}`, 2]));
    await cache.onCommitted(committed('0_9', 1n, { 'bulk-300': 9 }));
    await cache.onCommitted(committed('0_9', 2n, accounts));
    const versions = await Promise.all(Object.keys(accounts).map((accountId) => version(accountId)));
    expect(versions.filter((v) => v === 2)).toHaveLength(599);
    expect(await version('bulk-300')).toBe(9);
    expect(await redis.hget(balanceKey(prefix, 'bulk-599'), 'MXN:ledgerMinor')).toBe('200');
  });
  it('catches up from its marker with the changelog when a task starts, after a crash lost a write', async () => {
    // The first owner wrote up to offset 2 and died before writing offsets 2 to 4 to Redis. Offset 4
    // is an account whose record holds only a fraud profile (version 0): it never had a snapshot.
    const first = newCache();
    await first.onCommitted(committed('0_3', 2n, { 'acct-4': 1, 'acct-5': 1 }));
    const log = changelog([
      ['acct-4', 1],
      ['acct-5', 1],
      ['acct-4', 2],
      ['acct-6', 1],
      ['acct-8', 0],
    ]);
    const reads: Array<[bigint, bigint]> = [];
    const second = newCache();
    second.onTaskStarted({
      taskId: '0_3',
      partition: 0,
      checkpoints: new Map([['balances', 5n]]),
      readChangelog: async (store, from, to, onRecords) => {
        expect(store).toBe('balances');
        reads.push([from, to]);
        await onRecords(log.filter((record) => BigInt(record.offset) >= from && BigInt(record.offset) < to));
      },
    });
    await second.close();
    expect(reads).toEqual([[2n, 5n]]);
    expect(await version('acct-4')).toBe(2);
    expect(await version('acct-6')).toBe(1);
    expect(await redis.exists(balanceKey(prefix, 'acct-8'))).toBe(0);
    expect(await redis.get(second.markerKey('0_3'))).toBe('5');
  });

  it('reads nothing when its marker is where the task restored to (a clean hand-over)', async () => {
    const first = newCache();
    await first.onCommitted(committed('0_4', 9n, { 'acct-7': 4 }));
    let read = false;
    const second = newCache();
    second.onTaskStarted({
      taskId: '0_4',
      partition: 0,
      checkpoints: new Map([['balances', 9n]]),
      readChangelog: async () => {
        read = true;
      },
    });
    await second.close();
    expect(read).toBe(false);
  });

  it('holds its marker back after a failed write, and catches up once Redis answers again', async () => {
    const broken = new Redis(services().redisUrl, { maxRetriesPerRequest: 0, lazyConnect: true });
    const cache = new RedisBalanceCache(
      broken,
      { redisUrl: services().redisUrl, keyPrefix: prefix, applicationId: 'app', sink: 'balances-out' },
      createLogger({ level: 'silent' }),
    );
    caches.push(cache);
    await cache.onCommitted(committed('0_5', 1n, { 'acct-8': 1 }));
    const log = changelog([
      ['acct-8', 1],
      ['acct-8', 2],
      ['acct-9', 1],
    ]);
    cache.onTaskStarted({
      taskId: '0_5',
      partition: 0,
      checkpoints: new Map([['balances', 1n]]),
      readChangelog: async (_store, from, to, onRecords) =>
        onRecords(log.filter((record) => BigInt(record.offset) >= from && BigInt(record.offset) < to)),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Redis refuses the next write (a failover, say): the commit's snapshots are not there.
    const script = broken.pipeline;
    broken.pipeline = (() => {
      throw new Error('Redis is down');
    }) as typeof broken.pipeline;
    await expect(cache.onCommitted(committed('0_5', 2n, { 'acct-8': 2 }))).rejects.toThrow('Redis is down');
    broken.pipeline = script;
    expect(await redis.get(cache.markerKey('0_5'))).toBe('1');
    // The next commit succeeds and starts a catch-up of what the failed one lost.
    await cache.onCommitted(committed('0_5', 3n, { 'acct-9': 1 }));
    await cache.close();
    expect(await version('acct-8')).toBe(2);
    expect(await redis.get(cache.markerKey('0_5'))).toBe('3');
  });

  it('counts each failed write in saldo_redis_write_errors_total: a refused pipeline, a write Redis rejects', async () => {
    const registry = new Registry();
    const client = new Redis(services().redisUrl);
    const cache = new RedisBalanceCache(
      client,
      { redisUrl: services().redisUrl, keyPrefix: prefix, applicationId: 'app', sink: 'balances-out' },
      createLogger({ level: 'silent' }),
      redisCacheMetricsOn(registry),
    );
    caches.push(cache);
    const errors = async () =>
      (await registry.getSingleMetric('saldo_redis_write_errors_total')?.get())?.values[0]?.value;
    await cache.onCommitted(committed('0_6', 1n, { 'acct-10': 1 }));
    expect(await errors()).toBe(0);
    // A key of another type: the script's HGET fails with WRONGTYPE for that account alone.
    await redis.set(balanceKey(prefix, 'acct-11'), 'not a hash');
    await expect(cache.onCommitted(committed('0_6', 2n, { 'acct-10': 2, 'acct-11': 1 }))).rejects.toThrow(
      /WRONGTYPE/,
    );
    expect(await errors()).toBe(1);
    const pipeline = client.pipeline;
    client.pipeline = (() => {
      throw new Error('Redis is down');
    }) as typeof client.pipeline;
    await expect(cache.onCommitted(committed('0_6', 3n, { 'acct-10': 3 }))).rejects.toThrow('Redis is down');
    client.pipeline = pipeline;
    expect(await errors()).toBe(2);
  });
});
