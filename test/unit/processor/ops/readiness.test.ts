import { describe, expect, it } from 'vitest';
import type { ActiveTaskView } from '../../../../processor/active-tasks.ts';
import { isAlive, readinessOf, type MemberReadiness } from '../../../../processor/ops/readiness.ts';

const task = (partition: number, state: ActiveTaskView['state']): ActiveTaskView => ({
  task: `0_${partition}`,
  partition,
  state,
});
const member = (tasks: ActiveTaskView[], overrides: Partial<MemberReadiness> = {}): MemberReadiness => ({
  state: 'running',
  joined: true,
  tasks,
  ...overrides,
});

describe('readiness', () => {
  it('is ready when the app runs, every member has joined and every active task runs', () => {
    const ready = readinessOf('running', [member([task(0, 'running')]), member([task(1, 'running')])]);
    expect(ready).toEqual({ ready: true, state: 'running', tasks: { '0_0': 'running', '0_1': 'running' } });
  });

  it('is ready with no task at all once joined (more instances than partitions)', () => {
    expect(readinessOf('running', [member([])]).ready).toBe(true);
  });

  it('is not ready while any active task restores or waits to start again, and says which', () => {
    const restoring = readinessOf('running', [
      member([task(0, 'running'), task(2, 'restoring')]),
      member([task(1, 'paused')]),
    ]);
    expect(restoring.ready).toBe(false);
    expect(restoring.reason).toBe('active tasks not running: 0_2 restoring, 0_1 paused');
    expect(restoring.tasks).toEqual({ '0_0': 'running', '0_2': 'restoring', '0_1': 'paused' });
  });

  it('is not ready before the app runs, before a member has its assignment, or when a thread is silent', () => {
    expect(readinessOf('starting', [member([])])).toMatchObject({
      ready: false,
      reason: 'the app is starting',
    });
    expect(readinessOf('pending-shutdown', [member([task(0, 'running')])]).ready).toBe(false);
    expect(readinessOf('running', [member([], { joined: false })])).toMatchObject({
      ready: false,
      reason: "waiting for the group's assignment",
    });
    expect(readinessOf('running', [member([]), undefined])).toMatchObject({
      ready: false,
      reason: 'stream thread 1 did not answer',
    });
    expect(readinessOf('running', [member([], { state: 'starting' })])).toMatchObject({
      ready: false,
      reason: 'stream thread 0 is starting',
    });
  });
});

describe('liveness', () => {
  it('holds while starting, running, restoring or shutting down; not once failed or stopped', () => {
    for (const state of ['created', 'starting', 'running', 'pending-shutdown'] as const)
      expect(isAlive(state, false)).toBe(true);
    expect(isAlive('running', true)).toBe(false);
    expect(isAlive('failed', false)).toBe(false);
    expect(isAlive('stopped', false)).toBe(false);
  });
});
