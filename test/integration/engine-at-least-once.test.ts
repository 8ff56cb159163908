import { describe, expect, it } from 'vitest';
import { StreamsApp } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';
import {
  checkOutputs,
  generateTransactions,
  produceTransactions,
  readTotalsUpdates,
  referenceTotals,
} from '../support/counting.ts';
import { committedOffsetsSum, useAppFixture } from '../support/app-fixture.ts';
import { services } from '../support/services.ts';

describe('the engine, at-least-once', () => {
  const fx = useAppFixture('alos', 3);
  const { appId, topics } = fx;

  it('computes exact totals in a run without failures and commits its offsets', async () => {
    const { kafka, stateDir } = fx;
    const txs = generateTransactions(2_000, 30, 11);
    await produceTransactions(kafka, topics.input, txs);
    const app = new StreamsApp(countingTopology(topics), {
      applicationId: appId,
      brokers: services().kafkaBrokers,
      stateDir,
      processingGuarantee: 'at-least-once',
      logLevel: 'warn',
    });
    await app.start();
    try {
      const updates = await readTotalsUpdates(kafka, topics.output, {
        expected: txs.length,
        isolation: 'read_uncommitted',
      });
      expect(checkOutputs(updates, referenceTotals(txs))).toEqual([]);
    } finally {
      await app.stop();
    }
    const committed = await committedOffsetsSum(kafka, appId, topics.input);
    expect(committed).toBe(txs.length);
  });
});
