import { beforeAll, describe, expect, it } from 'vitest';
import { statusCommand } from '../../cli/commands/status.ts';
import { readLatestSnapshots } from '../../cli/verify/balances-check.ts';
import { jsonWithBigints } from '../../processor/index.ts';
import { changelogTopicFor } from '../../processor/internal-topics.ts';
import { partitionForKey } from '../../processor/kafka/wire/key-partitioning.ts';
import { stringSerde } from '../../state/index.ts';
import type { BalanceSnapshot } from '../../topologies/balances/snapshot.ts';
import { accountBalancesSerde, emptyAccountBalances } from '../../topologies/balances/account-balances.ts';
import { BALANCES_STORE } from '../../topologies/balances/balances-processor.ts';
import { prefixedProductTopics } from '../../topologies/product.ts';
import { freePort } from '../../scripts/free-port.ts';
import { connectTransactionSink, runGeneratorInto } from '../support/generator-sinks.ts';
import { waitForInputCommitted } from '../support/instance-kafka.ts';
import { waitUntil, type InstanceProcess } from '../support/instance-process.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { createTopic } from '../support/kafka.ts';
import { spawnProductInstance } from '../support/product-instance.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 4;
const ALL = [0, 1, 2, 3];
const ACCOUNTS = 120;
const RECORDS = 2_400;
const RATE = 3_000;
/**
 * Records written into one balances changelog partition, so that restoring it takes seconds: accounts
 * with no snapshot yet (version 0), which the Redis cache's restore skips.
 */
const FILLER = 200_000;

interface Answer {
  status: number;
  body: Record<string, unknown>;
  servedBy: string | null;
  retryAfter: string | null;
}

async function ask(endpoint: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`http://${endpoint}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    servedBy: response.headers.get('saldo-served-by'),
    retryAfter: response.headers.get('retry-after'),
  };
}

/** The snapshot as the query API writes it: JSON, amounts and versions as strings. */
const asJson = (snapshot: BalanceSnapshot) =>
  JSON.parse(jsonWithBigints(snapshot)) as Record<string, unknown>;

/** Partitions whose task runs on `instance` now, from its logged task transitions (all its threads). */
const running = (instance: InstanceProcess) => new Set(instance.runningPartitions());

describe('interactive queries on two saldo instances (one with two stream threads)', () => {
  const ws = useInstanceWorkspace('product-queries', { stopInstancesAfter: 'all' });
  const appId = uniqueName('queries');
  const topics = prefixedProductTopics(appId);

  beforeAll(async () => {
    for (const topic of Object.values(topics)) await createTopic(ws.kafka, topic, PARTITIONS);
  });

  it('either instance answers every account with its owner’s committed balance, as on the balances topic; a restoring task answers 503', async () => {
    const a = `127.0.0.1:${await freePort()}`;
    const b = `127.0.0.1:${await freePort()}`;
    const start = (name: string, endpoint: string, env: Record<string, string> = {}) =>
      spawnProductInstance({
        name,
        appId,
        topics,
        root: ws.root,
        redisKeyPrefix: `${appId}:`,
        env: {
          SALDO_APPLICATION_SERVER: endpoint,
          // No standbys: the test watches a task restore from scratch (a standby would make it warm).
          SALDO_NUM_STANDBY_REPLICAS: '0',
          ...env,
        },
      });
    const instanceA = start('a', a);
    const instanceB = start('b', b, { SALDO_STREAM_THREADS: '2' });
    const instances = [instanceA, instanceB];
    await waitUntil(
      () => {
        const onA = running(instanceA);
        const onB = running(instanceB);
        return onA.size > 0 && onB.size > 0 && ALL.every((p) => onA.has(p) !== onB.has(p));
      },
      { timeoutMs: 90_000, what: 'both instances to run their share of the tasks', instances },
    );

    await runGeneratorInto(
      { transactions: await connectTransactionSink(topics.transactions) },
      {
        accounts: ACCOUNTS,
        count: RECORDS,
        rate: RATE,
        seed: 15,
        startTime: Date.now(),
        topic: topics.transactions,
        batchSize: 200,
      },
    );
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.transactions,
      expectedRecords: RECORDS,
      timeoutMs: 120_000,
      instances,
    });
    const snapshots = await readLatestSnapshots({
      brokers: services().kafkaBrokers,
      registryUrl: services().schemaRegistryUrl,
      topic: topics.balances,
      clientId: `${appId}-test`,
    });
    expect(snapshots.size).toBe(ACCOUNTS);

    const onB = running(instanceB);
    const ownerOf = (accountId: string) =>
      onB.has(partitionForKey(Buffer.from(accountId), PARTITIONS)) ? b : a;
    const accounts = [...snapshots.keys()].sort();
    // Each learns the routing with its assignment: wait until both route every partition.
    const samples = ALL.map(
      (p) => accounts.find((id) => partitionForKey(Buffer.from(id), PARTITIONS) === p) as string,
    );
    await waitUntil(
      async () => {
        for (const endpoint of [a, b]) {
          for (const id of samples)
            if ((await ask(endpoint, `/accounts/${id}/balance`)).status !== 200) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, what: 'both instances to answer for every partition', instances, pollMs: 500 },
    );

    // Every account, asked of both instances: the owner's answer, equal to the topic's latest snapshot.
    let forwarded = 0;
    for (const id of accounts) {
      const snapshot = asJson(snapshots.get(id) as BalanceSnapshot);
      for (const endpoint of [a, b]) {
        const answer = await ask(endpoint, `/accounts/${encodeURIComponent(id)}/balance`);
        expect({ id, endpoint, status: answer.status, servedBy: answer.servedBy }).toEqual({
          id,
          endpoint,
          status: 200,
          servedBy: ownerOf(id),
        });
        expect(answer.body).toEqual(snapshot);
        if (answer.servedBy !== endpoint) forwarded += 1;
      }
    }
    // Each account was asked once of its owner and once of the other instance.
    expect(forwarded).toBe(ACCOUNTS);

    // Velocity: asked of the other instance, forwarded, the same windows as the owner's own answer.
    const at = Date.now();
    let withSpends = 0;
    for (const id of samples) {
      const owner = ownerOf(id);
      const other = owner === a ? b : a;
      const direct = await ask(owner, `/accounts/${id}/velocity?at=${at}`);
      const viaOther = await ask(other, `/accounts/${id}/velocity?at=${at}`);
      expect(direct.status).toBe(200);
      expect(viaOther).toEqual({ ...direct, servedBy: owner });
      expect(direct.body).toMatchObject({ accountId: id, at, currency: 'MXN' });
      const windows = direct.body.windows as Record<string, { count: number }>;
      if ((windows['24h']?.count ?? 0) > 0) withSpends += 1;
    }
    expect(withSpends).toBeGreaterThan(0);

    // Each instance serves its metrics; `saldo status` reads the restores under way from them (none
    // now: every task runs), so it knows each member's restores rather than leaving them unknown.
    const metrics = await (await fetch(`http://${a}/metrics`)).text();
    expect(metrics).toContain('saldo_restore_remaining_records');
    const status = await statusCommand({
      appId,
      brokers: services().kafkaBrokers.join(','),
      topology: 'product',
      input: 'unused-by-the-product',
      output: 'unused-by-the-product',
      transactionsTopic: topics.transactions,
      balancesTopic: topics.balances,
      limitsTopic: topics.accountLimits,
      alertsTopic: topics.fraudAlerts,
    });
    expect(status.group.members.length).toBeGreaterThanOrEqual(2);
    for (const member of status.group.members) expect(member.restoring).toEqual({});

    // Unknown accounts and bad ids, wherever they are asked.
    for (const endpoint of [a, b]) {
      for (const id of ['acct-nobody-1', 'acct-nobody-2', 'acct-nobody-3']) {
        expect((await ask(endpoint, `/accounts/${id}/balance`)).status).toBe(404);
      }
      expect(await ask(endpoint, '/accounts/%ZZ/balance')).toMatchObject({
        status: 400,
        body: { error: 'bad-key' },
      });
    }

    // A restoring task answers 503 with Retry-After, never what it has restored so far. One of b's
    // partitions gets a long balances changelog; b stops, a takes its tasks and restores them.
    const restoring = [...onB].sort()[0] as number;
    const account = accounts.find(
      (id) => partitionForKey(Buffer.from(id), PARTITIONS) === restoring,
    ) as string;
    const producer = ws.kafka.producer();
    await producer.connect();
    try {
      const value = accountBalancesSerde.serialize(emptyAccountBalances());
      for (let sent = 0; sent < FILLER; sent += 10_000) {
        await producer.send({
          topic: changelogTopicFor(appId, BALANCES_STORE),
          messages: Array.from({ length: 10_000 }, (_, i) => ({
            partition: restoring,
            key: stringSerde.serialize(`filler-${sent + i}`),
            value,
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }
    const mark = instanceA.mark();
    const expected = asJson(snapshots.get(account) as BalanceSnapshot);
    const path = `/accounts/${account}/balance`;
    // Two callers poll a: a client's query (routed by a's routing, which lags the group by up to a
    // second), and one marked as forwarded, which a answers from its own state whatever its routing.
    const seen: Array<{ who: 'client' | 'forwarded'; answer: Answer }> = [];
    const poll = async (who: 'client' | 'forwarded') => {
      const headers: Record<string, string> =
        who === 'forwarded' ? { 'saldo-forwarded-from': 'the-test' } : {};
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const answer = await ask(a, path, headers);
        seen.push({ who, answer });
        if (answer.status === 200 && answer.servedBy === a) return answer;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(
        `${who}: no answer from ${a} itself within 120 s; last: ${JSON.stringify(seen.at(-1))}`,
      );
    };
    const polls = Promise.all([poll('client'), poll('forwarded')]);
    await instanceB.stop();
    const [client, marked] = await polls;

    expect(client.body).toEqual(expected);
    expect(marked.body).toEqual(expected);
    const restoringAnswers = seen.filter(
      ({ answer }) => answer.status === 503 && answer.body.error === 'restoring',
    );
    expect(restoringAnswers.length).toBeGreaterThan(0);
    for (const { answer } of restoringAnswers) {
      expect(answer.retryAfter).toBe('1');
      expect(answer.body).toMatchObject({ partition: restoring, retryAfterSeconds: 1 });
    }
    // Never a stale answer: each 200 is the committed balance, from b before it left or from a after.
    for (const { answer } of seen.filter(({ answer }) => answer.status === 200))
      expect(answer.body).toEqual(expected);
    // Meanwhile only 503s with a retry hint (b gone, a rebalance, a restoring task), nothing else.
    for (const { answer } of seen.filter(({ answer }) => answer.status !== 200)) {
      expect(answer.status).toBe(503);
      expect(answer.retryAfter).toBe('1');
    }
    // a really restored the task: its log shows the partition's task restoring, then running.
    const transitions = instanceA
      .linesSince(mark)
      .filter((line) => line.task === `0_${restoring}` && typeof line.to === 'string')
      .map((line) => line.to);
    expect(transitions).toEqual(expect.arrayContaining(['restoring', 'running']));
  });
});
