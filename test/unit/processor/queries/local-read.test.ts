import { describe, expect, it } from 'vitest';
import { readTaskState, type TaskView } from '../../../../processor/queries/index.ts';
import type { ConsumedRecord } from '../../../../processor/records.ts';
import { stringSerde } from '../../../../state/index.ts';
import { accountTotalsStoreSerde, countingTopology } from '../../../../topologies/counting.ts';
import { runningTask } from '../task-fixture.ts';

const payment = (offset: number, account: string, amountMinor: string): ConsumedRecord => ({
  topic: 'in',
  partition: 0,
  offset,
  timestamp: 1_000 + offset,
  key: Buffer.from(account),
  value: Buffer.from(JSON.stringify({ txId: `t${offset}`, amountMinor, currency: 'MXN' })),
  headers: {},
});

const totalsOf = (key: string) => [{ store: 'totals', key: stringSerde.serialize(key) }];

describe('a query’s read of local state', () => {
  it('sees what the task committed, not the writes of its open transaction', async () => {
    const { task } = await runningTask(countingTopology({ input: 'in', output: 'out' }));
    const tasks = new Map([[0, task]]);
    const assigned = new Set([0]);
    await task.process(payment(0, 'acct-1', '500'));
    expect(readTaskState(tasks, assigned, 0, totalsOf('acct-1|MXN'))).toEqual({
      status: 'ok',
      values: [undefined],
    });
    await task.commit();
    await task.process(payment(1, 'acct-1', '700'));
    const read = readTaskState(tasks, assigned, 0, totalsOf('acct-1|MXN'));
    expect(read.status).toBe('ok');
    const value = read.status === 'ok' ? read.values[0] : undefined;
    expect(accountTotalsStoreSerde.deserialize(Buffer.from(value as Uint8Array))).toEqual({
      count: 1,
      sumMinor: 500n,
      currency: 'MXN',
    });
  });

  it('refuses a store that is not a key-value store of the task', async () => {
    const { task } = await runningTask(countingTopology({ input: 'in', output: 'out' }));
    expect(() =>
      readTaskState(new Map([[0, task]]), new Set([0]), 0, [{ store: 'nope', key: Buffer.from('k') }]),
    ).toThrow(/no key-value store 'nope'/);
  });

  it('says restoring for a partition assigned here whose task does not run yet, not-owner for one not assigned', () => {
    const restoring: TaskView = { state: 'restoring', committedValue: () => Buffer.from('stale') };
    const tasks = new Map([[1, restoring]]);
    expect(readTaskState(tasks, new Set([0, 1]), 0, totalsOf('k'))).toEqual({ status: 'restoring' });
    expect(readTaskState(tasks, new Set([0, 1]), 1, totalsOf('k'))).toEqual({ status: 'restoring' });
    expect(readTaskState(tasks, new Set([0, 1]), 2, totalsOf('k'))).toEqual({ status: 'not-owner' });
    expect(readTaskState(undefined, new Set(), 0, totalsOf('k'))).toEqual({ status: 'not-owner' });
  });

  it('says not-owner when the task closes under the read (revoked), restoring when it restarts here', () => {
    let state = 'running';
    const closing: TaskView = {
      get state() {
        return state;
      },
      committedValue: () => {
        state = 'closed';
        throw new Error('store closed');
      },
    };
    expect(readTaskState(new Map([[0, closing]]), new Set(), 0, totalsOf('k'))).toEqual({
      status: 'not-owner',
    });
    state = 'running';
    expect(readTaskState(new Map([[0, closing]]), new Set([0]), 0, totalsOf('k'))).toEqual({
      status: 'restoring',
    });
  });
});
