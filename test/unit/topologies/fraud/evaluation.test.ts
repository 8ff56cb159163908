import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAlerts, type Evaluation } from '../../../../cli/evaluate/index.ts';
import { RULE_IDS, runGenerator, silentProgress, type RunClock } from '../../../../cli/generate/index.ts';
import { readLabels, type ReadLabel } from '../../../../cli/generate/labels-file.ts';
import type { LimitUpdate } from '../../../../topologies/fraud/limits.ts';
import type { TransactionRecord } from '../../../../topologies/transactions/transaction.ts';
import { ProductDriver } from '../../../support/product-driver.ts';

// The labelled evaluation without a broker: the generator's default mix (history, near misses,
// 1% fraud incidents of every pattern, limits on account-limits) through the product topology in
// the test driver, its alerts scored against the generator's labels — the independent reading of
// the rules' definitions — as `saldo evaluate` scores the alerts topic.

const DAY = 86_400_000;
const noWait: RunClock = { now: () => Date.now(), sleep: async () => undefined };

let dir: string;
let labels: ReadLabel[];
let records: TransactionRecord[];
let evaluation: Evaluation;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saldo-evaluation-'));
  records = [];
  const limits: LimitUpdate[] = [];
  const accounts = 1_500;
  const count = 12_000;
  const spanMs = 4 * DAY;
  await runGenerator(
    {
      accounts,
      count,
      seed: 7,
      startTime: Date.UTC(2026, 10, 20),
      topic: 'transactions',
      batchSize: 500,
      realistic: { spanMs, historyDays: 120, fraudRate: 0.01, patterns: RULE_IDS },
      labelsPath: join(dir, 'labels.jsonl'),
    },
    {
      send: async (batch) => {
        records.push(...batch.map((record) => ({ ...record })));
      },
      close: async () => undefined,
    },
    {
      clock: noWait,
      progress: silentProgress,
      limits: {
        send: async (batch) => {
          limits.push(...batch);
        },
        close: async () => undefined,
      },
    },
  );
  labels = await readLabels(join(dir, 'labels.jsonl'));
  const product = await ProductDriver.create();
  try {
    for (const update of limits) await product.setLimits(update);
    await product.send(...records);
    expect(product.deadLetters()).toEqual([]);
    evaluation = evaluateAlerts(product.alerts(), labels, RULE_IDS);
  } finally {
    await product.close();
  }
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the labelled evaluation on the default generator mix', () => {
  it('has incidents of every rule to score', () => {
    for (const rule of RULE_IDS) expect(evaluation.rules[rule]?.labelled, rule).toBeGreaterThanOrEqual(5);
  });

  it('reaches recall ≥ 0.95 and precision ≥ 0.90 for every rule', () => {
    for (const rule of RULE_IDS) {
      const score = evaluation.rules[rule];
      expect(score?.recall, `${rule} recall`).toBeGreaterThanOrEqual(0.95);
      expect(score?.precision, `${rule} precision`).toBeGreaterThanOrEqual(0.9);
    }
    expect(evaluation.overall.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('scores a rule set that alerts on every spend badly', () => {
    const spends = records.filter((r) =>
      ['AUTHORIZATION', 'INCREMENTAL_AUTHORIZATION', 'WITHDRAWAL', 'TRANSFER_OUT'].includes(r.type),
    );
    const everything = RULE_IDS.flatMap((rule) =>
      spends.map((record) => ({
        alertId: `${rule}:${record.transactionId}`,
        accountId: record.accountId,
        ruleId: rule,
        transactionIds: [record.transactionId],
      })),
    );
    const careless = evaluateAlerts(everything, labels, RULE_IDS);
    expect(careless.overall.precision).toBeLessThan(0.05);
    for (const rule of RULE_IDS) expect(careless.rules[rule]?.precision, rule).toBeLessThan(0.2);
  });
});
