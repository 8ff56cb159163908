import { IllegalTaskTransitionError } from './errors.ts';

/**
 * The life cycle of a task, drawn from one table (as Kafka Streams' Task.State):
 *
 *   created ──► restoring ──► running ──► suspended ──► closed
 *      │            │            │            │  ▲
 *      │            └────────────┴──► closed  └──┘ (resume: suspended ──► restoring)
 *      └──────────────────────────────► closed
 */
export type TaskState = 'created' | 'restoring' | 'running' | 'suspended' | 'closed';

const allowed: Record<TaskState, readonly TaskState[]> = {
  created: ['restoring', 'closed'],
  restoring: ['running', 'suspended', 'closed'],
  running: ['suspended', 'closed'],
  suspended: ['restoring', 'closed'],
  closed: [],
};

export function canTransition(from: TaskState, to: TaskState): boolean {
  return allowed[from].includes(to);
}

export class TaskLifecycle {
  #state: TaskState = 'created';
  readonly #taskId: string;
  readonly #onTransition: (from: TaskState, to: TaskState) => void;

  constructor(taskId: string, onTransition: (from: TaskState, to: TaskState) => void) {
    this.#taskId = taskId;
    this.#onTransition = onTransition;
  }

  get state(): TaskState {
    return this.#state;
  }

  transitionTo(next: TaskState): void {
    const from = this.#state;
    if (!canTransition(from, next)) {
      throw new IllegalTaskTransitionError(`task ${this.#taskId}: illegal transition ${from} -> ${next}`, {
        context: { taskId: this.#taskId },
      });
    }
    this.#state = next;
    this.#onTransition(from, next);
  }
}
