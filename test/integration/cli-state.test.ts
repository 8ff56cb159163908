import { describe, expect, it } from 'vitest';
import { stateGetCommand, type StateGetFlags } from '../../cli/commands/state.ts';
import { startCountingApp, useAppFixture } from '../support/app-fixture.ts';
import {
  generateTransactions,
  produceTransactions,
  readTotalsUpdates,
  referenceTotals,
} from '../support/counting.ts';
import { services } from '../support/services.ts';

// saldo state get: a key's committed values, read from the changelogs, on the real broker.
describe('saldo state get', () => {
  const fx = useAppFixture('state', 3);
  const { appId, topics } = fx;
  const flags = (partitionKey: string): StateGetFlags => ({
    appId,
    brokers: services().kafkaBrokers.join(','),
    topology: 'counting',
    input: topics.input,
    output: topics.output,
    partitionKey,
  });

  it('reads the latest committed value of a key from its task’s changelog partition', async () => {
    const { kafka } = fx;
    const txs = generateTransactions(600, 12, 21);
    await produceTransactions(kafka, topics.input, txs);
    const app = await startCountingApp(fx);
    try {
      await readTotalsUpdates(kafka, topics.output, { expected: txs.length, isolation: 'read_committed' });
    } finally {
      await app.stop();
    }
    const reference = referenceTotals(txs);
    // Every account|currency of the run, each read where its account's task keeps it.
    for (const [key, expected] of reference) {
      const account = key.split('|')[0] as string;
      const result = await stateGetCommand(flags(account), key);
      expect(result.stores).toHaveLength(1);
      expect(result.stores[0]).toMatchObject({ store: 'totals', found: true });
      expect(result.stores[0]?.value).toMatchObject({ count: expected.count, sumMinor: expected.sumMinor });
    }
    const missing = await stateGetCommand(flags('acct-none'), 'acct-none|MXN');
    expect(missing.stores[0]).toMatchObject({ store: 'totals', found: false });
  }, 120_000);
});
