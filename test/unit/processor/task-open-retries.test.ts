import { describe, expect, it } from 'vitest';
import { LOCKED_STORES_QUIET_MS, TaskOpenRetries } from '../../../processor/task-open-retries.ts';
import { StoreIoError, StoreOpenError } from '../../../state/index.ts';

const context = { storeName: 'balances', taskId: '0_3', path: '/state/0_3/balances' };
const locked = new StoreOpenError('cannot open LevelDB (LEVEL_LOCKED)', { ...context, retriable: true });
const broken = new StoreOpenError('cannot open LevelDB (LEVEL_IO_ERROR)', context);

describe('logging a task whose stores cannot be opened yet', () => {
  it('is info while its stores stay locked by their previous owner, a warning once that lasts', () => {
    const retries = new TaskOpenRetries();
    expect(retries.failed(3, locked, 1_000)).toBe('info');
    expect(retries.failed(3, locked, 1_000 + LOCKED_STORES_QUIET_MS - 1)).toBe('info');
    expect(retries.failed(3, locked, 1_000 + LOCKED_STORES_QUIET_MS)).toBe('warn');
    // Each partition's wait is its own.
    expect(retries.failed(4, locked, 1_000 + LOCKED_STORES_QUIET_MS)).toBe('info');
  });

  it('starts counting afresh once the task opened', () => {
    const retries = new TaskOpenRetries();
    retries.failed(3, locked, 0);
    retries.settled(3);
    expect(retries.failed(3, locked, 10 * LOCKED_STORES_QUIET_MS)).toBe('info');
  });

  it('warns at once for anything but a lock', () => {
    const retries = new TaskOpenRetries();
    expect(retries.failed(3, broken, 0)).toBe('warn');
    expect(retries.failed(5, new StoreIoError('open', { ...context, retriable: false }), 0)).toBe('warn');
    expect(retries.failed(6, new Error('no such directory'), 0)).toBe('warn');
  });
});
