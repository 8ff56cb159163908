import { readTopicToEnd } from '../read-topic.ts';
import { ConfluentAvroRegistry, productSerdes, type RegistrySecurity } from '../../schemas/index.ts';
import type { KafkaSecurity } from '../../processor/index.ts';
import {
  checkRedisAccess,
  connectRedis,
  type RedisSecurity,
} from '../../topologies/balances/redis-connection.ts';
import { balanceKey, snapshotFromServingHash } from '../../topologies/balances/serving-hash.ts';
import type { BalanceSnapshot } from '../../topologies/balances/snapshot.ts';

/** One currency's expected balances of an account, in minor units. */
export interface ExpectedBalance {
  currency: string;
  ledgerMinor: bigint;
  heldMinor: bigint;
  availableMinor: bigint;
}

/** What a run should have left: every account's balances per currency. */
export type ExpectedBalances = ReadonlyMap<string, readonly ExpectedBalance[]>;

/** An account whose balances differ from the expected ones, in one place (Redis or the topic). */
export interface Mismatch {
  accountId: string;
  expected: readonly ExpectedBalance[];
  actual: readonly ExpectedBalance[] | undefined;
}

export interface PlaceCheck {
  matched: number;
  mismatches: Mismatch[];
}

export interface BalancesCheck {
  accounts: number;
  redis: PlaceCheck;
  topic: PlaceCheck;
  /** The latest snapshot per account on the topic (for samples). */
  snapshots: Map<string, BalanceSnapshot>;
}

const sameBalances = (a: readonly ExpectedBalance[], b: readonly ExpectedBalance[]): boolean =>
  a.length === b.length &&
  a.every(
    (x, i) =>
      x.currency === b[i]?.currency &&
      x.ledgerMinor === b[i]?.ledgerMinor &&
      x.heldMinor === b[i]?.heldMinor &&
      x.availableMinor === b[i]?.availableMinor,
  );

const byCurrency = (balances: readonly ExpectedBalance[]): ExpectedBalance[] =>
  [...balances].sort((x, y) => (x.currency < y.currency ? -1 : x.currency > y.currency ? 1 : 0));

/** Compares every expected account with what a place holds (undefined: the account is missing there). */
export function compareBalances(
  expected: ExpectedBalances,
  actualOf: (accountId: string) => readonly ExpectedBalance[] | undefined,
): PlaceCheck {
  const mismatches: Mismatch[] = [];
  let matched = 0;
  for (const [accountId, balances] of expected) {
    const actual = actualOf(accountId);
    if (actual !== undefined && sameBalances(byCurrency(balances), byCurrency(actual))) matched += 1;
    else mismatches.push({ accountId, expected: balances, actual });
  }
  return { matched, mismatches };
}

/**
 * The latest snapshot of every account on the balances topic (read_committed, to its end, through
 * the transactions open when reading began: a check right after the input was committed sees every
 * snapshot).
 */
export async function readLatestSnapshots(options: {
  brokers: string[];
  registryUrl: string;
  topic: string;
  clientId: string;
  kafkaSecurity?: KafkaSecurity | undefined;
  registrySecurity?: RegistrySecurity | undefined;
}): Promise<Map<string, BalanceSnapshot>> {
  const serde = productSerdes(
    ConfluentAvroRegistry.connect(options.registryUrl, options.registrySecurity),
  ).snapshot;
  const latest = new Map<string, BalanceSnapshot>();
  await readTopicToEnd({ ...options, throughOpenTransactions: true }, async (value) => {
    const snapshot = await serde.deserialize(value, { topic: options.topic, part: 'value' });
    const known = latest.get(snapshot.accountId);
    if (known === undefined || known.version < snapshot.version) latest.set(snapshot.accountId, snapshot);
  });
  return latest;
}

/** Every expected account's hash in Redis (HGETALL, pipelined in chunks). */
export async function readRedisSnapshots(
  redisUrl: string,
  keyPrefix: string,
  accountIds: readonly string[],
  security?: RedisSecurity,
): Promise<Map<string, BalanceSnapshot>> {
  // Refused credentials stop here at once; ioredis would reconnect and retry them.
  const unreachable = await checkRedisAccess(redisUrl, security);
  if (unreachable !== undefined) throw unreachable;
  const redis = connectRedis(redisUrl, security, { maxRetriesPerRequest: 3 });
  const found = new Map<string, BalanceSnapshot>();
  try {
    for (let at = 0; at < accountIds.length; at += 1_000) {
      const chunk = accountIds.slice(at, at + 1_000);
      const pipeline = redis.pipeline();
      for (const accountId of chunk) pipeline.hgetall(balanceKey(keyPrefix, accountId));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, hash], index) => {
        if (error !== null) throw error;
        const snapshot = snapshotFromServingHash(hash as Record<string, string>);
        if (snapshot !== undefined) found.set(chunk[index] as string, snapshot);
      });
    }
  } finally {
    redis.disconnect();
  }
  return found;
}

/** Checks every expected account's balances in Redis and on the balances topic. */
export async function checkBalances(options: {
  expected: ExpectedBalances;
  brokers: string[];
  registryUrl: string;
  redisUrl: string;
  redisKeyPrefix: string;
  balancesTopic: string;
  clientId?: string;
  kafkaSecurity?: KafkaSecurity | undefined;
  registrySecurity?: RegistrySecurity | undefined;
  redisSecurity?: RedisSecurity | undefined;
}): Promise<BalancesCheck> {
  const accountIds = [...options.expected.keys()];
  const [snapshots, cached] = await Promise.all([
    readLatestSnapshots({
      brokers: options.brokers,
      registryUrl: options.registryUrl,
      topic: options.balancesTopic,
      clientId: options.clientId ?? 'saldo-verify',
      kafkaSecurity: options.kafkaSecurity,
      registrySecurity: options.registrySecurity,
    }),
    readRedisSnapshots(options.redisUrl, options.redisKeyPrefix, accountIds, options.redisSecurity),
  ]);
  return {
    accounts: accountIds.length,
    redis: compareBalances(options.expected, (id) => cached.get(id)?.balances),
    topic: compareBalances(options.expected, (id) => snapshots.get(id)?.balances),
    snapshots,
  };
}
