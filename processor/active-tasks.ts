import type { InputPosition } from './scrape-gauges.ts';
import type { StreamTask } from './task.ts';
import { formatTaskId, taskIdFor } from './task-id.ts';
import type { TaskState } from './task-state.ts';

/**
 * Where an assigned partition's active task stands: a task's own state once the task manager
 * holds it running (or closing), `restoring` while it is created and restored, `paused` while it
 * waits to start again after a failed commit or a fencing.
 */
export type ActiveTaskState = TaskState | 'paused';

export interface ActiveTaskView {
  readonly task: string;
  readonly partition: number;
  readonly state: ActiveTaskState;
}

/** What the task manager holds, as the views below read it. */
export interface ActiveTasks {
  /** Assigned partitions, in order. */
  readonly assigned: readonly number[];
  /** Running tasks by partition. */
  readonly tasks: ReadonlyMap<number, StreamTask>;
  readonly parked: ReadonlySet<number>;
}

/** Each assigned partition's active task and its state (readiness: all must be running). */
export function activeTaskStates({ assigned, tasks, parked }: ActiveTasks): ActiveTaskView[] {
  return assigned.map((partition) => ({
    task: formatTaskId(taskIdFor(partition)),
    partition,
    state: tasks.get(partition)?.state ?? (parked.has(partition) ? 'paused' : 'restoring'),
  }));
}

/**
 * Every input partition of the assigned tasks and the task's next offset in it; undefined while
 * the task is not running (its committed offset is what counts then).
 */
export function activeInputPositions(
  { assigned, tasks }: ActiveTasks,
  sourceTopics: readonly string[],
): InputPosition[] {
  return assigned.flatMap((partition) => {
    const task = tasks.get(partition);
    return sourceTopics.map((topic) => ({
      topic,
      partition,
      position: task?.state === 'running' ? task.nextOffset(topic) : undefined,
    }));
  });
}
