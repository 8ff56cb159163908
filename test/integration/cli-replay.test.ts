import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActiveMembersError } from '../../cli/commands/reset.ts';
import { replayCommand, type ReplayFlags, type ReplayReport } from '../../cli/commands/replay.ts';
import { RULE_IDS } from '../../cli/generate/index.ts';
import { readTopicToEnd } from '../../cli/read-topic.ts';
import { decodeCommitMetadata } from '../../processor/commit-metadata.ts';
import { changelogTopicFor, stateMarksTopicFor } from '../../processor/internal-topics.ts';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import type { BalanceSnapshot } from '../../topologies/balances/snapshot.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';
import { prefixedProductTopics } from '../../topologies/product.ts';
import { checkExpectedBalances } from '../support/expected-balances-check.ts';
import { recordingSinks, runGeneratorInto } from '../support/generator-sinks.ts';
import { createTopic } from '../support/kafka.ts';
import { groupCommittedOffsets, topicEndOffsets, waitForInputCommitted } from '../support/instance-kafka.ts';
import { waitUntilSharing } from '../support/instance-process.ts';
import { spawnProductInstance } from '../support/product-instance.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 3;
const ALL = [0, 1, 2];
const ACCOUNTS = 150;
const LIVE_RECORDS = 2_400;
const RATE = 800;
const DAY = 86_400_000;
const STORES = ['transaction-ids', 'balances', 'holds'];

/** A snapshot's balances per currency, as text, for comparing. */
const balancesOf = (snapshot: BalanceSnapshot): string =>
  JSON.stringify(
    [...snapshot.balances]
      .sort((a, b) => (a.currency < b.currency ? -1 : 1))
      .map((b) => [b.currency, String(b.ledgerMinor), String(b.heldMinor), String(b.availableMinor)]),
  );

interface SnapshotAt {
  partition: number;
  offset: number;
  snapshot: BalanceSnapshot;
}

// saldo replay on the real broker with the product: balances and alerts after a replay from the
// middle of the traffic are those of the original processing, the replay really reprocessed, and
// a replay refused (no --yes, or under a running instance) changes nothing.
describe('saldo replay', () => {
  const ws = useInstanceWorkspace('replay', { stopInstancesAfter: 'all' });
  const appId = uniqueName('replay');
  const topics = prefixedProductTopics(appId);
  const prefix = `${appId}:`;
  const serdes = () => productSerdes(ConfluentAvroRegistry.connect(services().schemaRegistryUrl));

  beforeAll(async () => {
    for (const topic of Object.values(topics)) await createTopic(ws.kafka, topic, PARTITIONS);
  });

  // Marks every 250 ms, so that a few seconds of traffic leave many.
  const start = () =>
    spawnProductInstance({
      name: 'a',
      appId,
      topics,
      root: ws.root,
      redisKeyPrefix: prefix,
      env: { SALDO_STATE_MARK_INTERVAL_MS: '250' },
    });
  const flags = (extra: Partial<ReplayFlags>): ReplayFlags => ({
    appId,
    brokers: services().kafkaBrokers.join(','),
    topology: 'product',
    input: topics.transactions,
    output: topics.balances,
    transactionsTopic: topics.transactions,
    balancesTopic: topics.balances,
    limitsTopic: topics.accountLimits,
    alertsTopic: topics.fraudAlerts,
    registryUrl: services().schemaRegistryUrl,
    redisUrl: services().redisUrl,
    redisKeyPrefix: prefix,
    ...extra,
  });
  const readSnapshots = async (): Promise<SnapshotAt[]> => {
    const serde = serdes().snapshot;
    const read: SnapshotAt[] = [];
    await readTopicToEnd(
      { brokers: services().kafkaBrokers, topic: topics.balances, clientId: `${appId}-test` },
      async (value, record) => {
        const snapshot = await serde.deserialize(value, { topic: topics.balances, part: 'value' });
        read.push({ partition: record.partition, offset: record.offset, snapshot });
      },
    );
    return read;
  };
  const readAlertsAt = async (): Promise<Array<{ partition: number; offset: number; alert: FraudAlert }>> => {
    const serde = serdes().alert;
    const read: Array<{ partition: number; offset: number; alert: FraudAlert }> = [];
    await readTopicToEnd(
      { brokers: services().kafkaBrokers, topic: topics.fraudAlerts, clientId: `${appId}-test` },
      async (value, record) => {
        const alert = await serde.deserialize(value, { topic: topics.fraudAlerts, part: 'value' });
        read.push({ partition: record.partition, offset: record.offset, alert });
      },
    );
    return read;
  };
  /** Where each transaction id was first consumed: its partition and offset. */
  const readPositions = async (): Promise<Map<string, { partition: number; offset: number }>> => {
    const serde = serdes().transaction;
    const positions = new Map<string, { partition: number; offset: number }>();
    await readTopicToEnd(
      { brokers: services().kafkaBrokers, topic: topics.transactions, clientId: `${appId}-test` },
      async (value, record) => {
        const transaction = await serde.deserialize(value, { topic: topics.transactions, part: 'value' });
        if (!positions.has(transaction.transactionId)) {
          positions.set(transaction.transactionId, { partition: record.partition, offset: record.offset });
        }
      },
    );
    return positions;
  };
  /** Per partition, the offset after its last record in `read`. */
  const endsOf = (read: ReadonlyArray<{ partition: number; offset: number }>) => {
    const ends = new Map(ALL.map((p) => [p, 0]));
    for (const r of read) ends.set(r.partition, Math.max(ends.get(r.partition) ?? 0, r.offset + 1));
    return ends;
  };
  const changelogEnds = async () =>
    Object.fromEntries(
      await Promise.all(
        STORES.map(async (store) => [
          store,
          [...(await topicEndOffsets(ws.admin, changelogTopicFor(appId, store))).values()],
        ]),
      ),
    );
  const checkAgainst = (expectedPath: string) =>
    checkExpectedBalances(expectedPath, { balancesTopic: topics.balances, redisKeyPrefix: prefix });
  const statuses = (report: ReplayReport) => report.partitions.map((p) => [p.partition, p.status]);

  it('reprocesses from a mark in the middle with the state of that mark: the same balances and alert ids', async () => {
    // The original processing: limits, 20 days of history and two days of live traffic with fraud.
    const first = start();
    await waitUntilSharing([{ instance: first }], ALL, { timeoutMs: 90_000, what: 'the instance to run' });
    const sinks = await recordingSinks(topics);
    const expectedPath = join(ws.root, 'expected.jsonl');
    const spanMs = 2 * DAY;
    const liveStart = Date.now() - spanMs;
    await runGeneratorInto(sinks, {
      accounts: ACCOUNTS,
      count: LIVE_RECORDS,
      rate: RATE,
      seed: 15,
      startTime: liveStart,
      topic: topics.transactions,
      expectedPath,
      batchSize: 100,
      realistic: { spanMs, historyDays: 20, fraudRate: 0.05, patterns: RULE_IDS },
    });
    const sent = sinks.sent.length;
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.transactions,
      expectedRecords: sent,
      timeoutMs: 180_000,
      instances: [first],
    });
    const before = await checkAgainst(expectedPath);
    expect(before.topic.mismatches.slice(0, 3)).toEqual([]);
    const snapshotsBefore = await readSnapshots();
    const alertsBefore = await readAlertsAt();
    expect(alertsBefore.length).toBeGreaterThan(20);
    const committedBefore = await groupCommittedOffsets(ws.admin, appId, topics.transactions);
    const changelogsBefore = await changelogEnds();
    const from = new Date(liveStart + spanMs / 2).toISOString();

    // Refused under a running instance, and only planned without --yes: nothing changes.
    await expect(replayCommand(flags({ from, yes: true }))).rejects.toThrow(ActiveMembersError);
    await first.stop();
    const plan = await replayCommand(flags({ from }));
    expect(plan.applied).toBe(false);
    expect(statuses(plan)).toEqual(ALL.map((p) => [p, 'to do']));
    for (const p of plan.partitions) {
      const at = p.mark?.inputs[topics.transactions] as number;
      expect(at).toBeLessThanOrEqual(p.target[topics.transactions] as number);
      expect(at).toBeLessThan(committedBefore.get(p.partition) as number);
      expect(p.reprocess).toBe((committedBefore.get(p.partition) as number) - at);
      expect(p.stores.map((s) => s.store).sort()).toEqual([...STORES].sort());
      expect(p.stores.find((s) => s.store === 'transaction-ids')?.rewrite).toBeGreaterThan(0);
    }
    expect(await groupCommittedOffsets(ws.admin, appId, topics.transactions)).toEqual(committedBefore);
    expect(await changelogEnds()).toEqual(changelogsBefore);

    // An interrupted replay (partition 0 only), completed by a second run; a third finds it done.
    const partial = await replayCommand(flags({ from, yes: true, partitions: '0' }));
    expect(statuses(partial)).toEqual([[0, 'done']]);
    const done = await replayCommand(flags({ from, yes: true }));
    expect(statuses(done)).toEqual([
      [0, 'nothing to do'],
      [1, 'done'],
      [2, 'done'],
    ]);
    const again = await replayCommand(flags({ from, yes: true }));
    expect(statuses(again)).toEqual(ALL.map((p) => [p, 'nothing to do']));
    const [mark0] = plan.partitions;
    expect(done.partitions[0]?.mark).toEqual(mark0?.mark);
    const committed = await ws.admin.fetchOffsets({ groupId: appId, topics: [topics.transactions] });
    for (const { partition, offset, metadata } of committed[0]?.partitions ?? []) {
      const mark = plan.partitions[partition]?.mark;
      expect(Number(offset)).toBe(mark?.inputs[topics.transactions]);
      expect(decodeCommitMetadata(metadata)?.streamTime).toBe(mark?.streamTimeMs);
    }

    // Started again: the instance restores the marks' state and reprocesses from there.
    const second = start();
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.transactions,
      expectedRecords: sent,
      timeoutMs: 180_000,
      instances: [second],
    });
    let after = await checkAgainst(expectedPath);
    for (let attempt = 0; attempt < 20 && after.redis.mismatches.length > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await checkAgainst(expectedPath);
    }
    expect(after.topic.mismatches.slice(0, 3)).toEqual([]);
    expect(after.redis.mismatches.slice(0, 3)).toEqual([]);
    expect(after.topic.matched).toBe(ACCOUNTS);

    // What the original processing did after each partition's mark, the replay did again: a
    // snapshot after each of those transactions with the same balances, and the same alerts.
    const positions = await readPositions();
    const afterMark = (transactionId: string): boolean => {
      const at = positions.get(transactionId);
      const mark = at === undefined ? undefined : plan.partitions[at.partition]?.mark;
      return at !== undefined && at.offset >= (mark?.inputs[topics.transactions] ?? Infinity);
    };
    const byTransaction = (read: readonly SnapshotAt[]) =>
      new Map(
        read
          .filter((s) => s.snapshot.cause === 'TRANSACTION' && afterMark(s.snapshot.lastTransactionId ?? ''))
          .map((s) => [
            `${s.snapshot.accountId} after ${s.snapshot.lastTransactionId}`,
            balancesOf(s.snapshot),
          ]),
      );
    const snapshotsEnd = endsOf(snapshotsBefore);
    const replayed = (await readSnapshots()).filter((s) => s.offset >= (snapshotsEnd.get(s.partition) ?? 0));
    expect(new Set(replayed.map((s) => s.partition))).toEqual(new Set(ALL));
    const originalAfterMark = byTransaction(snapshotsBefore);
    expect(originalAfterMark.size).toBeGreaterThan(LIVE_RECORDS / 10);
    expect(byTransaction(replayed)).toEqual(originalAfterMark);

    const alertsEnd = endsOf(alertsBefore);
    const alertsAfter = await readAlertsAt();
    const replayedAlerts = alertsAfter.filter((a) => a.offset >= (alertsEnd.get(a.partition) ?? 0));
    const originalAlertsAfterMark = alertsBefore.filter((a) => afterMark(a.alert.transactionId));
    expect(originalAlertsAfterMark.length).toBeGreaterThan(0);
    const ids = (read: ReadonlyArray<{ alert: FraudAlert }>) => read.map((a) => a.alert.alertId).sort();
    expect(ids(replayedAlerts)).toEqual(ids(originalAlertsAfterMark));
    expect(new Set(ids(alertsAfter))).toEqual(new Set(ids(alertsBefore)));
    // The marks topic holds the new run's marks too: a later replay can start from them.
    expect((await topicEndOffsets(ws.admin, stateMarksTopicFor(appId))).size).toBe(PARTITIONS);
    await second.stop();
  }, 420_000);
});
