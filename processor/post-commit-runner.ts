import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from './errors.ts';
import { changelogTopicFor } from './internal-topics.ts';
import type { AdminClient, KafkaClientAdapter } from './kafka/client.ts';
import { tpKey } from './records.ts';
import type { Logger } from './log.ts';
import type { PostCommitHook, TaskStartedEvent } from './post-commit.ts';
import type { CommitOutcome } from './task-commit.ts';
import type { StreamTask } from './task.ts';

/** Calls of a hook for one commit before it is given up for that commit. */
const HOOK_ATTEMPTS = 5;

/**
 * Runs the post-commit hooks (post-commit.ts) of the task manager's tasks: tells them when a task
 * starts, with a way to read its stores' changelogs, and hands them each commit's outputs.
 */
export class PostCommitRunner {
  readonly #hooks: readonly PostCommitHook[];
  readonly #adapter: KafkaClientAdapter;
  readonly #admin: AdminClient;
  readonly #applicationId: string;
  readonly #log: Logger;

  constructor(deps: {
    hooks: readonly PostCommitHook[];
    adapter: KafkaClientAdapter;
    admin: AdminClient;
    applicationId: string;
    /** The task manager's logger. */
    log: Logger;
  }) {
    this.#hooks = deps.hooks;
    this.#adapter = deps.adapter;
    this.#admin = deps.admin;
    this.#applicationId = deps.applicationId;
    this.#log = deps.log;
  }

  /** Whether any hook wants the committed outputs (tasks keep them only then). */
  get wantsOutputs(): boolean {
    return this.#hooks.length > 0;
  }

  /** Tells the hooks that the task runs, with a way to read its stores' changelogs. */
  announceStart(task: StreamTask): void {
    const readChangelog: TaskStartedEvent['readChangelog'] = async (store, from, to, onRecords) => {
      const tp = { topic: changelogTopicFor(this.#applicationId, store), partition: task.partition };
      // Below the log start there is nothing left to read (retention deleted it).
      const start = (await this.#admin.offsetRange([tp])).get(tpKey(tp))?.start ?? 0;
      const first = Math.max(Number(from), start);
      if (first >= Number(to)) return;
      await this.#adapter
        .changelogReader()
        .read([{ ...tp, from: first, to: Number(to) }], (records) => onRecords(records), {
          heartbeat: async () => undefined,
        });
    };
    const event: TaskStartedEvent = {
      taskId: task.taskId,
      partition: task.partition,
      checkpoints: task.stateManager.checkpoints(),
      readChangelog,
    };
    for (const hook of this.#hooks) {
      try {
        hook.onTaskStarted?.(event);
      } catch (error) {
        this.#log.error(
          { error: describeError(error), task: task.taskId },
          'post-commit hook failed on task start',
        );
      }
    }
  }

  /** Post-commit hooks see only committed outputs, in order per partition; failures are retried. */
  async afterCommit(task: StreamTask, outcome: CommitOutcome): Promise<void> {
    const event = {
      taskId: task.taskId,
      partition: task.partition,
      outputs: outcome.outputs,
      checkpoints: outcome.checkpoints,
    };
    for (const hook of this.#hooks) {
      for (let attempt = 1; ; attempt++) {
        try {
          await hook(event);
          break;
        } catch (error) {
          if (attempt >= HOOK_ATTEMPTS) {
            this.#log.error(
              { error: describeError(error), task: task.taskId, attempts: attempt },
              'post-commit hook failed; giving up on this commit',
            );
            break;
          }
          await sleep(50 * 2 ** attempt);
        }
      }
    }
  }
}
