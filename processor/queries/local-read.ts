import type { QueryRouting } from './routing.ts';

/** One value to read from the owner's state: a key-value store and a key, serialized by its key serde. */
export interface StoreRead {
  readonly store: string;
  readonly key: Uint8Array;
}

/**
 * The answer of the stream thread that runs (or does not run) the task of a partition:
 * - `ok`: the committed values, in the order of the reads (undefined: no such key);
 * - `restoring`: the task is assigned here but does not run yet (restoring its stores, or
 *   restarting after a failed commit): its state would be stale;
 * - `not-owner`: no task of that partition here (it moved, or was never here).
 */
export type LocalRead =
  | { readonly status: 'ok'; readonly values: ReadonlyArray<Uint8Array | undefined> }
  | { readonly status: 'restoring' }
  | { readonly status: 'not-owner' };

export const RESTORING: LocalRead = Object.freeze({ status: 'restoring' });
export const NOT_OWNER: LocalRead = Object.freeze({ status: 'not-owner' });

/** Reads the state of this instance's tasks, wherever they run (this thread or stream threads). */
export interface LocalReader {
  readLocal(partition: number, reads: readonly StoreRead[]): Promise<LocalRead>;
}

/** What the query server needs of a running app: one StreamsApp, or a StreamThreadsApp. */
export interface QueryTarget extends LocalReader {
  /** The inputs' partition count once the app has checked its topics; undefined before. */
  readonly partitionCount: number | undefined;
  /** The latest routing; undefined until one arrives (then every partition counts as local). */
  readonly routing: QueryRouting | undefined;
  /** A new routing (from the group's assignment): the app keeps the latest generation. */
  onRouting(routing: QueryRouting): void;
}

/** What a stream thread's reader looks at: its running tasks and its assigned partitions. */
export interface TaskView {
  readonly state: string;
  /** The committed value of a key in a key-value store (LevelDB through the task's read cache). */
  committedValue(store: string, key: Buffer): Buffer | undefined;
}

/**
 * Answers reads from one stream thread's tasks: `tasks` are its running tasks (the task
 * manager's), `assigned` the partitions the group gave it. A partition assigned whose task is not
 * running yet is restoring.
 */
export function readTaskState(
  tasks: ReadonlyMap<number, TaskView> | undefined,
  assigned: ReadonlySet<number>,
  partition: number,
  reads: readonly StoreRead[],
): LocalRead {
  const task = tasks?.get(partition);
  if (task === undefined || task.state !== 'running') return assigned.has(partition) ? RESTORING : NOT_OWNER;
  try {
    return {
      status: 'ok',
      values: reads.map((read) => task.committedValue(read.store, Buffer.from(read.key))),
    };
  } catch (error) {
    // Closed under our feet (revoked, fenced): the answer belongs to its next owner.
    if (task.state !== 'running') return assigned.has(partition) ? RESTORING : NOT_OWNER;
    throw error;
  }
}
