import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resetCommand, type ResetFlags } from '../../cli/commands/reset.ts';
import { changelogTopicFor, stateMarksTopicFor } from '../../processor/internal-topics.ts';
import { committedOffsetsSum, startCountingApp, useAppFixture } from '../support/app-fixture.ts';
import {
  generateTransactions,
  produceTransactions,
  readTotalsUpdates,
  referenceTotals,
} from '../support/counting.ts';
import { services } from '../support/services.ts';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

// saldo reset on the real broker: the plan, the refusal under a running app, an interrupted reset
// completed by a second run, and a reprocessing from scratch that gives the reference again.
describe('saldo reset', () => {
  const fx = useAppFixture('reset', 2);
  const { appId, topics } = fx;
  const flags = (extra: Partial<ResetFlags> = {}): ResetFlags => ({
    appId,
    brokers: services().kafkaBrokers.join(','),
    stateDir: fx.stateDir,
    topology: 'counting',
    input: topics.input,
    output: topics.output,
    ...extra,
  });

  it('plans, refuses under a running app, completes when re-run, and lets the app start afresh', async () => {
    const { kafka } = fx;
    const txs = generateTransactions(400, 15, 33);
    await produceTransactions(kafka, topics.input, txs);
    const changelog = changelogTopicFor(appId, 'totals');
    const localState = join(fx.stateDir, appId);

    const app = await startCountingApp(fx);
    try {
      await readTotalsUpdates(kafka, topics.output, { expected: txs.length, isolation: 'read_committed' });
      await expect(resetCommand(flags({ yes: true }))).rejects.toThrow(/has active members/);
    } finally {
      await app.stop();
    }

    const plan = await resetCommand(flags());
    expect(plan.applied).toBe(false);
    expect(plan.steps.map((s) => [s.step, s.status, s.targets])).toEqual([
      ['committed offsets', 'to do', [appId]],
      ['internal topics', 'to do', [changelog, stateMarksTopicFor(appId)]],
      ['local state', 'to do', [localState]],
    ]);
    expect(await committedOffsetsSum(kafka, appId, topics.input)).toBe(txs.length);
    expect(await exists(localState)).toBe(true);

    // A reset that died after deleting the internal topics: the second run does the rest.
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [changelog, stateMarksTopicFor(appId)] });
    } finally {
      await admin.disconnect();
    }
    const done = await resetCommand(flags({ yes: true }));
    expect(done.steps.map((s) => [s.step, s.status])).toEqual([
      ['committed offsets', 'done'],
      ['internal topics', 'nothing to do'],
      ['local state', 'done'],
    ]);
    expect(await committedOffsetsSum(kafka, appId, topics.input)).toBe(0);
    expect(await exists(localState)).toBe(false);
    const again = await resetCommand(flags({ yes: true }));
    expect(again.steps.every((s) => s.status === 'nothing to do')).toBe(true);

    // Started afresh: every input record once more, from empty state: the totals are the reference's.
    const fresh = await startCountingApp(fx);
    try {
      const updates = await readTotalsUpdates(kafka, topics.output, {
        expected: 2 * txs.length,
        isolation: 'read_committed',
      });
      // Per key (one partition each, so in order): the counts 1…n of the first run, then 1…n
      // again from empty state, and the last update carries the reference's sum.
      const byKey = new Map<string, Array<{ count: number; sumMinor: bigint }>>();
      for (const u of updates) {
        const key = `${u.account}|${u.currency}`;
        byKey.set(key, [...(byKey.get(key) ?? []), { count: u.count, sumMinor: u.sumMinor }]);
      }
      const reference = referenceTotals(txs);
      expect([...byKey.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [key, ref] of reference) {
        const once = Array.from({ length: ref.count }, (_, i) => i + 1);
        const seen = byKey.get(key) ?? [];
        expect(
          seen.map((u) => u.count),
          key,
        ).toEqual([...once, ...once]);
        expect(seen.at(-1)?.sumMinor, key).toBe(ref.sumMinor);
      }
    } finally {
      await fresh.stop();
    }
  }, 120_000);
});
