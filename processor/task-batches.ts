/**
 * Processing what the consumer fetched, one task at a time, under the task's lock: the records of
 * a batch (a task with one input), or those of a task's partition group in timestamp order (several
 * inputs). Both commit when the task asks for it and yield to the event loop every few
 * milliseconds; the task manager owns the tasks and the commits.
 */
import type { AwaitedFetches } from './awaited-fetches.ts';
import type { Clock } from './clock.ts';
import type { BatchControl, ConsumedBatch } from './kafka/client.ts';
import type { PartitionGroup } from './partition-group.ts';
import type { StreamTask } from './task.ts';

/** How long a batch may hold the event loop before it lets I/O, timers and heartbeats run. */
const YIELD_EVERY_MS = 20;

export interface TaskBatchDeps {
  readonly clock: Clock;
  readonly awaitedFetches: AwaitedFetches;
  /** Still the running task of its partition (a failed commit closes and replaces it). */
  isCurrent(task: StreamTask): boolean;
  stopping(): boolean;
  /** Commits the task (closing it if the commit fails). */
  commit(task: StreamTask): Promise<void>;
}

const running = (task: StreamTask, deps: TaskBatchDeps) => task.state === 'running' && deps.isCurrent(task);

/** A batch of a task with one input, in offset order; marks records consumed as it goes. */
export async function processBatch(
  task: StreamTask,
  batch: ConsumedBatch,
  control: BatchControl,
  deps: TaskBatchDeps,
): Promise<void> {
  if (!running(task, deps)) return;
  const awaited = deps.awaitedFetches.accepts(batch);
  if (awaited !== true && !(await awaited)) return;
  let yieldedAt = performance.now();
  let last: number | undefined;
  for (const record of batch.records) {
    if (control.isStale() || deps.stopping()) break;
    // Most records are handled synchronously: awaiting only what is pending saves each record
    // a suspension of this loop (the periodic setImmediate below keeps it fair).
    const pending = task.processNow(record);
    if (pending) await pending;
    last = record.offset;
    if (task.needsCommit(deps.clock.now())) {
      control.resolve(last);
      await deps.commit(task);
      if (!deps.isCurrent(task)) return; // the commit failed and the task was closed
    }
    // A fetch can hold a hundred thousand records, and processing them only queues microtasks:
    // let network I/O, timers and heartbeats run every few milliseconds.
    if (performance.now() - yieldedAt > YIELD_EVERY_MS) {
      control.resolve(last);
      await control.heartbeat();
      await new Promise((resolve) => setImmediate(resolve));
      yieldedAt = performance.now();
    }
  }
  if (last !== undefined) control.resolve(last);
}

/** Processes the group's records in order until it has none it may hand out. */
export async function processGroup(
  task: StreamTask,
  group: PartitionGroup,
  deps: TaskBatchDeps,
  control?: BatchControl,
): Promise<void> {
  if (!running(task, deps)) return;
  let yieldedAt = performance.now();
  for (;;) {
    if (control?.isStale() === true || deps.stopping()) return;
    let next = group.next(deps.clock.now());
    if (next instanceof Promise) next = await next;
    if (next === undefined) return;
    const pending = task.processNow(next.record, next.decoded);
    if (pending) await pending;
    if (task.needsCommit(deps.clock.now())) {
      await deps.commit(task);
      if (!deps.isCurrent(task)) return; // the commit failed and the task was closed
    }
    if (performance.now() - yieldedAt > YIELD_EVERY_MS) {
      if (control !== undefined) await control.heartbeat();
      await new Promise((resolve) => setImmediate(resolve));
      yieldedAt = performance.now();
    }
  }
}
