import { describe, expect, it } from 'vitest';
import { statusCommand, type StatusFlags } from '../../cli/commands/status.ts';
import { committedOffsetsSum, startCountingApp, useAppFixture } from '../support/app-fixture.ts';
import { generateTransactions, produceTransactions, readTotalsUpdates } from '../support/counting.ts';
import { services } from '../support/services.ts';

// `saldo status` against a running app and a stopped one, on the real broker.
describe('saldo status', () => {
  const fx = useAppFixture('status', 3);
  const { appId, topics } = fx;
  const flags = (): StatusFlags => ({
    appId,
    brokers: services().kafkaBrokers.join(','),
    topology: 'counting',
    input: topics.input,
    output: topics.output,
  });

  it('shows the group, the tasks of each member, the lag per input partition and the dead letters', async () => {
    const { kafka } = fx;
    const txs = generateTransactions(300, 20, 5);
    await produceTransactions(kafka, topics.input, txs);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.input, messages: [{ key: 'acct-1', value: '{"txId": broken' }] });
    await producer.disconnect();

    const before = await statusCommand(flags());
    expect(before.group.state).toBe('Dead');
    expect(before.totalLag).toBe(txs.length + 1);
    expect(before.deadLetters.exists).toBe(false);

    const app = await startCountingApp(fx);
    try {
      await readTotalsUpdates(kafka, topics.output, { expected: txs.length, isolation: 'read_committed' });
      for (const deadline = Date.now() + 30_000; ;) {
        if ((await committedOffsetsSum(kafka, appId, topics.input)) === txs.length + 1) break;
        if (Date.now() > deadline) throw new Error('offsets not committed within 30 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const running = await statusCommand(flags());
      expect(running.group.state).toBe('Stable');
      expect(running.group.members).toHaveLength(1);
      expect(running.group.members[0]?.activeTasks).toEqual(['0_0', '0_1', '0_2']);
      expect(running.inputs.map((p) => [p.partition, p.lag, p.task])).toEqual([
        [0, 0, '0_0'],
        [1, 0, '0_1'],
        [2, 0, '0_2'],
      ]);
      expect(running.deadLetters).toEqual({ topic: `${appId}-dlq`, records: 1, exists: true });
    } finally {
      await app.stop();
    }

    const stopped = await statusCommand(flags());
    expect(['Empty', 'Dead']).toContain(stopped.group.state);
    expect(stopped.group.members).toEqual([]);
    expect(stopped.inputs.every((p) => p.task === null && p.lag === 0)).toBe(true);
  }, 120_000);
});
