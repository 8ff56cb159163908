import type { ActiveTaskState, ActiveTaskView } from '../active-tasks.ts';
import type { AppState } from '../app-lifecycle.ts';

/** One group member's view (a StreamsApp: the app itself, or one stream thread of an instance). */
export interface MemberReadiness {
  readonly state: AppState;
  /** Whether the group has given the member an assignment yet. */
  readonly joined: boolean;
  readonly tasks: readonly ActiveTaskView[];
}

/** What GET /readyz answers (200 when ready, 503 otherwise), as JSON. */
export interface Readiness {
  readonly ready: boolean;
  /** Why not, when not ready. */
  readonly reason?: string;
  readonly state: AppState;
  /** Each active task's state, by task id. */
  readonly tasks: Readonly<Record<string, ActiveTaskState>>;
}

/**
 * Ready means the instance serves its whole share of the work now: the app runs, each of its
 * members (stream threads) runs and has its assignment, and every active task runs — none is
 * restoring, waiting to start again, or closing. `members`: undefined for one that did not say
 * (a stream thread that did not answer in time), which is not ready either.
 */
export function readinessOf(state: AppState, members: ReadonlyArray<MemberReadiness | undefined>): Readiness {
  const tasks: Record<string, ActiveTaskState> = {};
  for (const member of members) for (const t of member?.tasks ?? []) tasks[t.task] = t.state;
  const notReady = (reason: string): Readiness => ({ ready: false, reason, state, tasks });
  if (state !== 'running') return notReady(`the app is ${state}`);
  const index = members.findIndex((m) => m === undefined || m.state !== 'running');
  if (index >= 0) {
    const member = members[index];
    return notReady(
      member === undefined
        ? `stream thread ${index} did not answer`
        : `stream thread ${index} is ${member.state}`,
    );
  }
  if (members.some((m) => m?.joined !== true)) return notReady("waiting for the group's assignment");
  const waiting = Object.entries(tasks).filter(([, s]) => s !== 'running');
  if (waiting.length > 0) {
    const list = waiting.map(([task, s]) => `${task} ${s}`).join(', ');
    return notReady(`active tasks not running: ${list}`);
  }
  return { ready: true, state, tasks };
}

/**
 * What GET /healthz answers: alive (200) unless the app failed for good (the instance is about to
 * exit non-zero, or cannot go on) or has stopped. A restore, a rebalance, a broker outage with
 * retries: alive, and only not ready.
 */
export function isAlive(state: AppState, failed: boolean): boolean {
  return !failed && state !== 'failed' && state !== 'stopped';
}
