import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateManager, localTaskOffsetSums, stringSerde } from '../../../state/index.ts';
import { useTempStateDir } from './temp-state-dir.ts';

const stateDir = useTempStateDir();
const stores = [
  { name: 'balances', kind: 'key-value' as const },
  { name: 'holds', kind: 'key-value' as const },
  { name: 'limits', kind: 'key-value' as const, logged: false },
];

async function runTask(partition: number, offsets: { balances: number; holds: number }) {
  const state = await StateManager.open({
    appId: 'bank',
    taskId: `0_${partition}`,
    stateDir: stateDir.path,
    stores,
    changelogs: new Map([
      ['balances', { topic: 'bank-balances-changelog', partition }],
      ['holds', { topic: 'bank-holds-changelog', partition }],
    ]),
  });
  const record = (topic: string, offset: number) => ({
    topic,
    offset,
    key: Buffer.from('k'),
    value: Buffer.from('v'),
  });
  await state.applyChangelogRecords([record('bank-balances-changelog', offsets.balances - 1)]);
  await state.applyChangelogRecords([record('bank-holds-changelog', offsets.holds - 1)]);
  expect(state.keyValueStore('balances', stringSerde, stringSerde).get('k')).toBe('v');
  await state.close();
}

describe('the summary of a task’s local state, for the assignor', () => {
  it('is written when the task’s stores close, and read back as the sum of its changelog checkpoints', async () => {
    await runTask(3, { balances: 120, holds: 30 });
    await runTask(7, { balances: 5, holds: 1 });
    const sums = localTaskOffsetSums(stateDir.path, 'bank', ['balances', 'holds']);
    expect([...sums].sort(([a], [b]) => a - b)).toEqual([
      [3, 150],
      [7, 6],
    ]);
  });

  it('leaves out tasks without a readable summary, and answers for an app with no state at all', async () => {
    await runTask(1, { balances: 10, holds: 10 });
    mkdirSync(join(stateDir.path, 'bank', '0_2'), { recursive: true }); // crashed before any close
    mkdirSync(join(stateDir.path, 'bank', '0_4'), { recursive: true });
    writeFileSync(join(stateDir.path, 'bank', '0_4', '.checkpoints.json'), '{not json');
    const sums = localTaskOffsetSums(stateDir.path, 'bank', ['balances', 'holds']);
    expect([...sums]).toEqual([[1, 20]]);
    expect(localTaskOffsetSums(stateDir.path, 'no-such-app', ['balances']).size).toBe(0);
  });
});
