import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestCommand, type BacktestFlags } from '../../cli/commands/backtest.ts';
import { readAlerts } from '../../cli/evaluate/index.ts';
import { ConfigError } from '../../processor/index.ts';
import { partitionForKey } from '../../processor/kafka/wire/key-partitioning.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';
import { defaultRuleSetJson } from '../../topologies/fraud/rule-set.ts';
import type { LimitUpdate } from '../../topologies/fraud/limits.ts';
import { DEFAULT_FRAUD_GRACE_MS, prefixedProductTopics } from '../../topologies/product.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import { recordingSinks, runGeneratorInto } from '../support/generator-sinks.ts';
import { createTopic, testKafka, withAdmin } from '../support/kafka.ts';
import { ProductDriver } from '../support/product-driver.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 3;
const ACCOUNTS = 250;
const LIVE_RECORDS = 4_000;
const DAY = 86_400_000;

interface RuleSetJson {
  version: string;
  rules: Array<{ id: string; enabled: boolean; parameters: Record<string, unknown> }>;
}

/** The default rule set with card-testing disabled and amount-anomaly's multiple lowered from 5 to 3. */
function candidateRules(): RuleSetJson {
  const json = defaultRuleSetJson() as RuleSetJson;
  json.version = 'candidate-1';
  for (const rule of json.rules) {
    if (rule.id === 'card-testing') rule.enabled = false;
    if (rule.id === 'amount-anomaly') rule.parameters.multipleOfAverage = 3;
  }
  return json;
}

/**
 * The reference: every limit and then every transaction stamped before `to` through the product
 * topology in test drivers, one per partition, each in the order its partition got them; the
 * alerts whose transaction is in [from, to).
 */
async function referenceAlerts(
  rules: unknown,
  limits: readonly LimitUpdate[],
  sent: readonly TransactionRecord[],
  window: { from: number; to: number },
): Promise<FraudAlert[]> {
  const alerts: FraudAlert[] = [];
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const mine = (accountId: string) => partitionForKey(Buffer.from(accountId), PARTITIONS) === partition;
    const driver = await ProductDriver.create({ fraud: { rules, graceMs: DEFAULT_FRAUD_GRACE_MS } });
    try {
      for (const update of limits) if (mine(update.accountId)) await driver.setLimits(update);
      await driver.send(...sent.filter((tx) => mine(tx.accountId) && tx.eventTime < window.to));
      alerts.push(...driver.alerts().filter((a) => a.eventTime >= window.from && a.eventTime < window.to));
    } finally {
      await driver.close();
    }
  }
  return alerts;
}

function countsByRule(alerts: readonly FraudAlert[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const alert of alerts) counts.set(alert.ruleId, (counts.get(alert.ruleId) ?? 0) + 1);
  return counts;
}

async function endOffsets(kafka: Kafka, topic: string): Promise<number> {
  return withAdmin(kafka, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0),
  );
}

// saldo backtest on the real broker and registry: the generator's labelled traffic with history,
// a candidate that disables one rule and lowers another's threshold, both runs checked against
// replays of the same input in test drivers; the output topic holds exactly the candidate's alerts
// of the window, and nothing of the application is touched.
describe('saldo backtest', () => {
  const appId = uniqueName('backtest');
  const topics = prefixedProductTopics(appId);
  let kafka: Kafka;
  let dir: string;
  beforeAll(async () => {
    kafka = testKafka();
    dir = await mkdtemp(join(tmpdir(), 'saldo-backtest-'));
    for (const topic of Object.values(topics)) await createTopic(kafka, topic, PARTITIONS);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('counts what each rule set raises in the window, writes the candidate’s alerts alone, and touches nothing else', async () => {
    const brokers = services().kafkaBrokers;
    const sinks = await recordingSinks(topics);
    const { sent, published } = sinks;
    const spanMs = 2 * DAY;
    const liveStart = Date.now() - spanMs;
    await runGeneratorInto(sinks, {
      accounts: ACCOUNTS,
      count: LIVE_RECORDS,
      seed: 15,
      startTime: liveStart,
      topic: topics.transactions,
      batchSize: 500,
      realistic: {
        spanMs,
        historyDays: 120,
        fraudRate: 0.05,
        patterns: ['card-testing', 'amount-anomaly', 'velocity-burst', 'overdraft', 'rapid-drain'],
      },
    });

    // The window: the last day of history and the first 36 hours of live traffic; the rest of
    // the live traffic comes after --to and is not read into state.
    const window = { from: liveStart - DAY, to: liveStart + 1.5 * DAY };
    const candidateFile = join(dir, 'candidate.json');
    const candidate = candidateRules();
    await writeFile(candidateFile, JSON.stringify(candidate));
    const outputTopic = `${appId}-out`;
    const flags: BacktestFlags = {
      rules: candidateFile,
      from: new Date(window.from).toISOString(),
      to: String(window.to),
      outputTopic,
      stateDir: dir,
      appId,
      brokers: brokers.join(','),
      registryUrl: services().schemaRegistryUrl,
      transactionsTopic: topics.transactions,
      limitsTopic: topics.accountLimits,
      alertsTopic: topics.fraudAlerts,
    };
    const report = await backtestCommand(flags, {});

    const [production, candidates] = [
      await referenceAlerts(defaultRuleSetJson(), published, sent, window),
      await referenceAlerts(candidate, published, sent, window),
    ];
    const expected = { production: countsByRule(production), candidate: countsByRule(candidates) };
    expect(report.transactions).toEqual({
      read: sent.length,
      processed: sent.filter((tx) => tx.eventTime < window.to).length,
      inWindow: sent.filter((tx) => tx.eventTime >= window.from && tx.eventTime < window.to).length,
    });
    expect(report.transactions.processed).toBeLessThan(report.transactions.read);
    for (const [id, counts] of Object.entries(report.rules)) {
      expect(counts.production, `${id} production`).toBe(expected.production.get(id) ?? 0);
      expect(counts.candidate, `${id} candidate`).toBe(expected.candidate.get(id) ?? 0);
    }
    // The two changes show as such; the rules the candidate left alone raise the same alerts.
    expect(report.rules['card-testing']).toMatchObject({ candidate: 0, change: 'disabled' });
    expect(report.rules['card-testing']?.production).toBeGreaterThan(0);
    expect(report.rules['amount-anomaly']?.change).toBe('changed');
    expect(report.rules['amount-anomaly']?.candidate).toBeGreaterThan(
      report.rules['amount-anomaly']?.production ?? 0,
    );
    for (const [id, counts] of Object.entries(report.rules)) {
      if (counts.change === 'same') expect(counts.candidate, id).toBe(counts.production);
    }
    expect(report.totals.production).toBe(production.length);
    expect(report.totals.candidate).toBe(candidates.length);

    // The output topic holds the candidate's alerts of the window, each once, and nothing else.
    const written = await readAlerts({
      brokers,
      registryUrl: services().schemaRegistryUrl,
      topic: outputTopic,
      clientId: `${appId}-check`,
      timeoutMs: 60_000,
    });
    expect(report.written).toBe(candidates.length);
    expect(written.map((a) => a.alertId).sort()).toEqual(candidates.map((a) => a.alertId).sort());

    // Nothing of the application: no output on its topics, no group, no internal topics.
    expect(await endOffsets(kafka, topics.fraudAlerts)).toBe(0);
    expect(await endOffsets(kafka, topics.balances)).toBe(0);
    await withAdmin(kafka, async (admin) => {
      const { groups } = await admin.describeGroups([appId]);
      expect(groups.find((g) => g.groupId === appId)?.state ?? 'Dead').toBe('Dead');
      const internal = (await admin.listTopics()).filter(
        (t) => t.startsWith(`${appId}-`) && (t.endsWith('-changelog') || t.endsWith('-dlq')),
      );
      expect(internal).toEqual([]);
    });

    // Run again into the same topic, or into a topic saldo runs on: refused before any work.
    await expect(backtestCommand(flags, {})).rejects.toThrow(/is not empty/);
    await expect(backtestCommand({ ...flags, outputTopic: topics.fraudAlerts }, {})).rejects.toThrow(
      ConfigError,
    );
    expect(await endOffsets(kafka, outputTopic)).toBe(written.length);
  });
});
