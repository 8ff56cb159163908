import { describe, expect, it } from 'vitest';
import { IllegalTaskTransitionError } from '../../../processor/errors.ts';
import { TaskLifecycle, canTransition } from '../../../processor/task-state.ts';

describe('the task life cycle', () => {
  it('goes created -> restoring -> running -> suspended -> closed and reports each transition', () => {
    const seen: string[] = [];
    const lifecycle = new TaskLifecycle('0_3', (from, to) => seen.push(`${from}->${to}`));
    lifecycle.transitionTo('restoring');
    lifecycle.transitionTo('running');
    lifecycle.transitionTo('suspended');
    lifecycle.transitionTo('closed');
    expect(seen).toEqual([
      'created->restoring',
      'restoring->running',
      'running->suspended',
      'suspended->closed',
    ]);
  });

  it('rejects skipping restoration and leaving closed', () => {
    const lifecycle = new TaskLifecycle('0_1', () => undefined);
    expect(() => lifecycle.transitionTo('running')).toThrow(IllegalTaskTransitionError);
    lifecycle.transitionTo('closed');
    expect(() => lifecycle.transitionTo('restoring')).toThrow(/0_1: illegal transition closed -> restoring/);
  });

  it('lets a suspended task restore again', () => {
    expect(canTransition('suspended', 'restoring')).toBe(true);
    expect(canTransition('running', 'restoring')).toBe(false);
  });
});
