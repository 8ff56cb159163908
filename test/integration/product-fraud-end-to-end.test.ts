import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts, readAlerts } from '../../cli/evaluate/index.ts';
import { RULE_IDS, readLabels } from '../../cli/generate/index.ts';
import { partitionForKey } from '../../processor/kafka/wire/key-partitioning.ts';
import type { LimitUpdate } from '../../topologies/fraud/limits.ts';
import { prefixedProductTopics } from '../../topologies/product.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import { recordingSinks, runGeneratorInto } from '../support/generator-sinks.ts';
import { ProductDriver } from '../support/product-driver.ts';
import { createTopic } from '../support/kafka.ts';
import { groupCommittedOffsets, waitForInputCommitted } from '../support/instance-kafka.ts';
import { waitUntil, waitUntilSharing } from '../support/instance-process.ts';
import { spawnProductInstance } from '../support/product-instance.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 4;
const ALL = [0, 1, 2, 3];
const ACCOUNTS = 400;
const LIVE_RECORDS = 6_000;
const RATE = 1_500;
const DAY = 86_400_000;

/**
 * The reference: the same records through the product topology in test drivers, one per
 * partition (stream time is per task, so lateness is too), each fed its partition's records in
 * the order they were sent.
 */
async function referenceAlertIds(limits: LimitUpdate[], records: TransactionRecord[]): Promise<string[]> {
  const ids: string[] = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const mine = (accountId: string) => partitionForKey(Buffer.from(accountId), PARTITIONS) === partition;
    const driver = await ProductDriver.create();
    try {
      for (const update of limits) if (mine(update.accountId)) await driver.setLimits(update);
      await driver.send(...records.filter((record) => mine(record.accountId)));
      ids.push(...driver.alerts().map((alert) => alert.alertId));
    } finally {
      await driver.close();
    }
  }
  return ids.sort();
}

describe('fraud end to end: the generator’s labelled traffic → two saldo instances, one killed midway → fraud-alerts', () => {
  const ws = useInstanceWorkspace('fraud-e2e', { stopInstancesAfter: 'all' });
  const appId = uniqueName('fraud-e2e');
  const topics = prefixedProductTopics(appId);

  beforeAll(async () => {
    for (const topic of Object.values(topics)) await createTopic(ws.kafka, topic, PARTITIONS);
  });

  const start = (name: string) =>
    spawnProductInstance({ name, appId, topics, root: ws.root, redisKeyPrefix: `${appId}:` });

  it('raises every alert the reference raises, once by id, across a SIGKILL, and finds every labelled incident', async () => {
    const a = start('a');
    const b = start('b');
    await waitUntilSharing([{ instance: a }, { instance: b }], ALL, {
      timeoutMs: 90_000,
      what: 'both instances to share the partitions',
    });
    // What was sent, in order, for the reference.
    const sinks = await recordingSinks(topics);
    const { sent, published } = sinks;
    const labelsPath = join(ws.root, 'labels.jsonl');
    const spanMs = 2 * DAY;
    const liveStart = Date.now() - spanMs;
    // Kill b once the history is committed and a third of the live traffic is out.
    let killedAt: number | undefined;
    const killer = (async () => {
      await waitUntil(
        async () => {
          const live = sent.filter((record) => record.eventTime >= liveStart).length;
          if (live < LIVE_RECORDS / 3) return false;
          const committed = await groupCommittedOffsets(ws.admin, appId, topics.transactions);
          killedAt = [...committed.values()].reduce((sum, offset) => sum + Math.max(0, offset), 0);
          return killedAt >= sent.length - live;
        },
        {
          timeoutMs: 120_000,
          what: 'the history committed and a third of the live traffic sent',
          instances: [a, b],
          pollMs: 100,
        },
      );
      await b.kill();
    })();
    const summary = await runGeneratorInto(sinks, {
      accounts: ACCOUNTS,
      count: LIVE_RECORDS,
      rate: RATE,
      seed: 11,
      startTime: liveStart,
      topic: topics.transactions,
      labelsPath,
      batchSize: 200,
      realistic: { spanMs, historyDays: 120, fraudRate: 0.04, patterns: RULE_IDS },
    });
    expect(summary.historyRecords).toBeGreaterThan(0);
    await killer;
    expect(b.exit?.signal).toBe('SIGKILL');
    expect(killedAt).toBeLessThan(sent.length);

    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.transactions,
      expectedRecords: sent.length,
      timeoutMs: 180_000,
      instances: [a],
    });
    const alerts = await readAlerts({
      brokers: services().kafkaBrokers,
      registryUrl: services().schemaRegistryUrl,
      topic: topics.fraudAlerts,
      clientId: `${appId}-evaluate`,
      timeoutMs: 60_000,
    });
    const ids = alerts.map((alert) => alert.alertId).sort();
    // Not duplicated: each id once on the topic (read_committed) despite the kill.
    expect(ids.length).toBeGreaterThan(50);
    expect(new Set(ids).size).toBe(ids.length);
    // Not lost: exactly the alerts of the same input processed without a kill.
    expect(ids).toEqual(await referenceAlertIds(published, sent));
    // And they find the generator's incidents.
    const evaluation = evaluateAlerts(alerts, await readLabels(labelsPath), RULE_IDS);
    expect(evaluation.overall.recall).toBeGreaterThanOrEqual(0.95);
    expect(evaluation.overall.precision).toBeGreaterThanOrEqual(0.9);
  });
});
