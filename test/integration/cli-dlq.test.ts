import { describe, expect, it } from 'vitest';
import { dlqListCommand, dlqReplayCommand, dlqShowCommand, type DlqFlags } from '../../cli/commands/dlq.ts';
import { committedOffsetsSum, startCountingApp, useAppFixture } from '../support/app-fixture.ts';
import { generateTransactions, produceTransactions, readTotalsUpdates } from '../support/counting.ts';
import { services } from '../support/services.ts';

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (const deadline = Date.now() + 30_000; ;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// saldo dlq list / show / replay against a running app on the real broker.
describe('saldo dlq', () => {
  const fx = useAppFixture('dlq', 2);
  const { appId, topics } = fx;
  const flags = (): DlqFlags => ({ appId, brokers: services().kafkaBrokers.join(',') });

  it('lists and shows dead letters, and replays one to its input partition', async () => {
    const { kafka } = fx;
    expect(await dlqListCommand(flags())).toEqual([]);
    const txs = generateTransactions(200, 10, 9);
    await produceTransactions(kafka, topics.input, txs);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.input,
      messages: [
        { key: 'acct-1', value: '{"txId": broken', headers: { 'trace-id': 'abc' } },
        { key: 'acct-2', value: '{"txId":"t-x","amountMinor":"12.50","currency":"MXN"}' },
      ],
    });
    await producer.disconnect();

    const app = await startCountingApp(fx);
    try {
      await readTotalsUpdates(kafka, topics.output, { expected: txs.length, isolation: 'read_committed' });
      const letters = await until(
        'two dead letters',
        () => dlqListCommand(flags()),
        (l) => l.length === 2,
      );
      const byReason = new Map(letters.map((l) => [l.reason, l]));
      expect([...byReason.keys()].sort()).toEqual(['deserialization', 'processing']);
      const broken = byReason.get('deserialization');
      expect(broken?.origin.topic).toBe(topics.input);
      expect(broken?.key).toBe('acct-1');
      expect(byReason.get('processing')?.errorMessage).toMatch(/amountMinor must be integer minor units/);

      const shown = await dlqShowCommand({ ...flags(), value: true }, broken?.id ?? '');
      expect(shown.headers).toContain('trace-id');
      expect(Buffer.from(shown.valueHex ?? '', 'hex').toString()).toBe('{"txId": broken');

      // Without --yes: the plan, nothing sent.
      const plan = await dlqReplayCommand({ ...flags(), ids: broken?.id });
      expect(plan.sent).toBe(false);
      expect(plan.letters.map((l) => l.id)).toEqual([broken?.id]);
      const committedBefore = await committedOffsetsSum(kafka, appId, topics.input);
      expect(committedBefore).toBe(txs.length + 2);

      const sent = await dlqReplayCommand({ ...flags(), ids: broken?.id, yes: true });
      expect(sent.sent).toBe(true);
      // Still broken: it comes back as a new dead letter, from a new offset of the same input partition.
      const after = await until(
        'the replayed record dead-lettered again',
        () => dlqListCommand(flags()),
        (l) => l.length === 3,
      );
      const again = after.find((l) => l.reason === 'deserialization' && l.id !== broken?.id);
      expect(again?.origin.topic).toBe(topics.input);
      expect(again?.origin.partition).toBe(broken?.origin.partition);
      expect(again?.origin.offset).toBeGreaterThan(broken?.origin.offset ?? Infinity);
      await until(
        'the replayed record committed',
        () => committedOffsetsSum(kafka, appId, topics.input),
        (n) => n === committedBefore + 1,
      );
    } finally {
      await app.stop();
    }
    await expect(dlqReplayCommand({ ...flags(), ids: '9:9', yes: true })).rejects.toThrow(
      /no dead letter 9:9/,
    );
    await expect(dlqReplayCommand(flags())).rejects.toThrow(/--ids .* or --all/);
  }, 120_000);
});
