import { setTimeout as sleep } from 'node:timers/promises';
import type { RestoreSummary } from '../state/index.ts';
import type { ActiveTasks } from './active-tasks.ts';
import { AwaitedFetches } from './awaited-fetches.ts';
import type { Clock } from './clock.ts';
import type { StreamsConfig } from './config.ts';
import { SaldoError, TaskFencedError, describeError } from './errors.ts';
import { TaskOpenRetries } from './task-open-retries.ts';
import type {
  AdminClient,
  BatchControl,
  ConsumedBatch,
  GroupConsumer,
  KafkaClientAdapter,
} from './kafka/client.ts';
import type { Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import type { PartitionGroup } from './partition-group.ts';
import type { PostCommitHook } from './post-commit.ts';
import { PostCommitRunner } from './post-commit-runner.ts';
import { bootstrapTables } from './table-bootstrap.ts';
import { processBatch, processGroup, type TaskBatchDeps } from './task-batches.ts';
import type { StandbyTasks } from './standby-tasks.ts';
import type { StreamTask } from './task.ts';
import { TaskFactory, kafkaStartSources } from './task-factory.ts';
import { formatTaskId, taskIdFor } from './task-id.ts';
import { UnrecoverableCommits } from './unrecoverable-commits.ts';
import type { Topology } from './topology.ts';

export interface TaskManagerDeps {
  topology: Topology;
  config: StreamsConfig;
  adapter: KafkaClientAdapter;
  admin: AdminClient;
  consumer: () => GroupConsumer;
  logger: Logger;
  metrics: EngineMetrics;
  clock: Clock;
  postCommitHooks: PostCommitHook[];
  onRestored?: (taskId: string, summary: RestoreSummary) => void;
  /** This member's standby tasks: a task's standby is released before its active task opens here. */
  standbys: StandbyTasks;
  /**
   * The instance cannot go on: a task's commits failed `unrecoverableCommitAttempts` times in a
   * row on an error no retry can mend (a missing topic, no authorization).
   */
  onFatal: (error: SaldoError) => void;
}

/** Longer than a heartbeat interval: time for a zombie to learn that it is one. */
const FENCED_PAUSE_MS = 3_000;

/** The pause before a task whose commit failed starts again. */
const COMMIT_FAILED_PAUSE_MS = 1_000;

/**
 * Owns the tasks of this instance: creates and restores them when their partitions are assigned,
 * routes batches to them, commits them, and closes them when their partitions are revoked, when
 * they are fenced, or at shutdown.
 */
export class TaskManager {
  readonly #deps: TaskManagerDeps;
  readonly #log: Logger;
  readonly #openRetries = new TaskOpenRetries();
  readonly #tasks = new Map<number, StreamTask>();
  readonly #initializing = new Map<number, Promise<StreamTask | undefined>>();
  #assigned = new Set<number>();
  /**
   * Partitions whose task was closed by a failed commit, parked for a moment before a fresh task
   * starts. A fenced one waits longer than a heartbeat interval: if this instance is a zombie, its
   * next heartbeat finds the rebalance that took the partition away; if it still owns it (its task
   * was merely stale), a fresh task starts when the moment is over.
   */
  readonly #parked = new Set<number>();
  /** Commits of a partition's task that failed in a row on an error retrying cannot fix. */
  readonly #unrecoverableCommits: UnrecoverableCommits;
  /** After a seek, batches fetched from elsewhere are stale: only one fetched at this offset is taken. */
  readonly #awaitedFetches: AwaitedFetches;
  readonly #factory: TaskFactory;
  readonly #postCommit: PostCommitRunner;
  readonly #batchDeps: TaskBatchDeps;
  #stopping = false;
  #memberId: string | undefined;
  /** Closes under way (revoked or lost tasks), awaited at shutdown so stores are closed cleanly. */
  readonly #closing = new Set<Promise<void>>();

  constructor(deps: TaskManagerDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'task-manager' });
    this.#unrecoverableCommits = new UnrecoverableCommits({
      limit: deps.config.unrecoverableCommitAttempts,
      log: this.#log,
      onFatal: deps.onFatal,
    });
    this.#awaitedFetches = new AwaitedFetches({ admin: deps.admin, metrics: deps.metrics, log: this.#log });
    this.#postCommit = new PostCommitRunner({
      hooks: deps.postCommitHooks,
      adapter: deps.adapter,
      admin: deps.admin,
      applicationId: deps.config.applicationId,
      log: this.#log,
    });
    this.#batchDeps = {
      clock: deps.clock,
      awaitedFetches: this.#awaitedFetches,
      isCurrent: (task) => this.#tasks.get(task.partition) === task,
      stopping: () => this.#stopping,
      commit: (task) => this.#commit(task),
    };
    this.#factory = new TaskFactory({
      topology: deps.topology,
      config: deps.config,
      logger: deps.logger,
      metrics: deps.metrics,
      clock: deps.clock,
      collectCommittedOutputs: this.#postCommit.wantsOutputs,
    });
  }

  get tasks(): ReadonlyMap<number, StreamTask> {
    return this.#tasks;
  }

  /** The partitions of this member's active tasks, running or still restoring. */
  ownedPartitions(): number[] {
    return [...this.#assigned].sort((a, b) => a - b);
  }

  /** Whether the group has given this member an assignment yet (perhaps of no partition). */
  get joined(): boolean {
    return this.#memberId !== undefined;
  }

  /** The assigned partitions, their running tasks and those paused (readiness, consumer lag). */
  activeTasks(): ActiveTasks {
    return { assigned: this.ownedPartitions(), tasks: this.#tasks, parked: this.#parked };
  }

  /**
   * A new assignment (a new generation): close the tasks we lost and create and restore the new ones
   * at once, in the background, whether or not their inputs have new records (so that idle tasks
   * run their wall-clock punctuations, and restoration does not wait for traffic).
   */
  onAssignment(
    partitions: number[],
    memberId: string,
    standby: readonly number[],
    warmup: readonly number[],
  ): void {
    const next = new Set(partitions);
    this.#log.info({ partitions, memberId }, 'partitions assigned');
    // A new member id means the coordinator had dropped us (a pause past the session timeout):
    // every partition was lost and may have been processed elsewhere since. As Kafka's
    // onPartitionsLost: close all tasks without committing, then start afresh from what Kafka holds.
    const lost = this.#memberId !== undefined && memberId !== this.#memberId;
    this.#memberId = memberId;
    if (lost)
      this.#log.warn(
        { partitions: this.ownedPartitions() },
        'this member was dropped from the group; its tasks are lost and closed without committing',
      );
    this.#assigned = next;
    for (const p of partitions) this.#parked.delete(p);
    for (const [p, task] of this.#tasks) {
      if (!lost && next.has(p)) continue;
      // Out of the map at once, so that a partition assigned again gets a fresh task.
      this.#tasks.delete(p);
      void this.#closeTask(task, lost ? 'lost' : 'revoked', !lost);
    }
    void this.#deps.standbys.update(
      standby.filter((p) => !next.has(p)),
      warmup,
    );
    for (const p of partitions) void this.#taskFor(p);
  }

  async onBatch(batch: ConsumedBatch, control: BatchControl): Promise<void> {
    const p = batch.partition;
    if (this.#stopping || !this.#assigned.has(p) || this.#parked.has(p)) return;
    let task = this.#tasks.get(p);
    if (!task) {
      // Not running yet (restoring): give it a moment, then hand the batch back unresolved so the
      // consumer fetches it again. Short waits keep the consumer loop, and its heartbeats, going.
      await Promise.race([this.#taskFor(p), sleep(1_000)]);
      task = this.#tasks.get(p);
      if (!task) return;
    }
    const group = task.partitionGroup;
    if (group !== undefined) return this.#onGroupedBatch(task, group, batch, control);
    await task.lock.run(() => processBatch(task, batch, control, this.#batchDeps));
  }

  /**
   * A batch of a task with several input partitions: buffered in the task's partition group and
   * marked consumed (so the consumer fetches on), then the group's records are processed in
   * timestamp order as far as the group allows (processor/partition-group.ts).
   */
  async #onGroupedBatch(
    task: StreamTask,
    group: PartitionGroup,
    batch: ConsumedBatch,
    control: BatchControl,
  ): Promise<void> {
    if (task.state !== 'running' || this.#tasks.get(batch.partition) !== task) return;
    const awaited = this.#awaitedFetches.accepts(batch);
    if (awaited !== true && !(await awaited)) return;
    if (task.state !== 'running' || this.#tasks.get(batch.partition) !== task) return;
    const consumed = group.add(batch);
    if (consumed !== undefined) control.resolve(consumed);
    // The consumer hands over the batches of one fetch in one turn: let them all into the group
    // before choosing, so that order holds across everything one fetch brought.
    await new Promise((resolve) => setImmediate(resolve));
    await task.lock.run(() => processGroup(task, group, this.#batchDeps, control));
  }

  /** Periodic work: wall-clock punctuation and commits of tasks whose interval has elapsed. */
  async tick(): Promise<void> {
    const now = this.#deps.clock.now();
    await Promise.all(
      [...this.#tasks.values()].map((task) =>
        task.lock.run(async () => {
          if (task.state !== 'running' || this.#stopping) return;
          await task.punctuateWallClock(now);
          // Records a grouped task held back for an empty partition go once the wait is over.
          const group = task.partitionGroup;
          if (group !== undefined && group.buffered > 0) await processGroup(task, group, this.#batchDeps);
          if (task.needsCommit(now)) await this.#commit(task);
        }),
      ),
    );
  }

  /** The running task of partition p, initialising it once however many callers ask. */
  async #taskFor(p: number): Promise<StreamTask | undefined> {
    const existing = this.#tasks.get(p);
    if (existing) return existing;
    let pending = this.#initializing.get(p);
    if (!pending) {
      pending = this.#initialize(p)
        .then(async (task) => {
          // Revoked (or shutting down) while it restored: close it again.
          if (task && (this.#stopping || !this.#assigned.has(p))) {
            await this.#closeTask(task, 'revoked while restoring', false);
            return undefined;
          }
          return task;
        })
        .finally(() => {
          this.#initializing.delete(p);
          // A failed initialisation is retried while the partition is still ours, traffic or not.
          if (!this.#tasks.has(p) && this.#assigned.has(p) && !this.#parked.has(p) && !this.#stopping) {
            setTimeout(() => void this.#taskFor(p), 1_000).unref();
          }
        });
      this.#initializing.set(p, pending);
    }
    return pending;
  }

  async #initialize(p: number): Promise<StreamTask | undefined> {
    const { config, adapter, admin } = this.#deps;
    const taskId = formatTaskId(taskIdFor(p));
    let task: StreamTask;
    try {
      // Its standby here, if any, holds the stores: the task takes them over warm.
      await this.#deps.standbys.release(p);
      task = await this.#factory.create(p);
    } catch (error) {
      // e.g. the store is still locked by this task's previous incarnation, closing after a revocation.
      this.#log[this.#openRetries.failed(p, error, this.#deps.clock.now())](
        { error: describeError(error), task: taskId },
        "cannot open the task's stores yet; retrying in a second",
      );
      return undefined;
    }
    this.#openRetries.settled(p);
    try {
      const summary = await this.#factory.start(task, kafkaStartSources(config, adapter, admin, taskId));
      const ranges = await admin.offsetRange(task.inputPartitions());
      // Tables are read up to their end before any stream record is processed.
      await bootstrapTables(task, {
        admin,
        reader: adapter.changelogReader(),
        logger: this.#deps.logger,
        metrics: this.#deps.metrics,
        heartbeat: async () => undefined,
      });
      // Start each input exactly where the committed offsets say (a table where its bootstrap
      // stopped): kafkajs may have read older committed offsets at assignment, or be ahead after
      // a failed commit.
      for (const start of task.startInputs(ranges)) {
        this.#awaitedFetches.seek(start, start.offset);
        this.#deps.consumer().seek(start);
      }
      this.#postCommit.announceStart(task);
      this.#tasks.set(p, task);
      this.#deps.onRestored?.(taskId, summary);
      return task;
    } catch (error) {
      if (error instanceof TaskFencedError) this.#park(p);
      this.#log.error(
        { error: describeError(error), task: taskId },
        'task initialisation failed; retrying in a second',
      );
      await task.close().catch(() => undefined);
      return undefined;
    }
  }

  async #commit(task: StreamTask): Promise<void> {
    try {
      const outcome = await task.commit();
      if (outcome.committed) this.#unrecoverableCommits.succeeded(task.partition);
      if (outcome.committed && outcome.outputs.length > 0) await this.#postCommit.afterCommit(task, outcome);
    } catch (error) {
      const fenced = error instanceof TaskFencedError;
      if (fenced) this.#park(task.partition);
      else if (error instanceof SaldoError && !error.retriable) {
        await this.#closeTask(task, 'commit-failed', false, true);
        const pauseMs = this.#unrecoverableCommits.failed(task, error);
        if (pauseMs !== undefined) this.#park(task.partition, pauseMs);
        return;
      }
      this.#log.warn(
        { error: describeError(error), task: task.taskId, fenced },
        fenced
          ? 'task fenced by another instance; closing it'
          : 'commit failed; the task is closed and will restart from its last commit',
      );
      await this.#closeTask(task, fenced ? 'fenced' : 'commit-failed', false, true);
      // The records since the last commit wait in the task's input: start it again without
      // waiting for new input to arrive (a fenced task restarts once its pause is over).
      if (!fenced) this.#park(task.partition, COMMIT_FAILED_PAUSE_MS);
    }
  }

  #park(p: number, pauseMs = FENCED_PAUSE_MS): void {
    this.#parked.add(p);
    setTimeout(() => {
      if (!this.#parked.delete(p) || this.#stopping || !this.#assigned.has(p)) return;
      void this.#taskFor(p);
    }, pauseMs).unref();
  }

  async #closeTask(
    task: StreamTask,
    reason: string,
    commitFirst: boolean,
    alreadyLocked = false,
  ): Promise<void> {
    const work = async () => {
      if (this.#tasks.get(task.partition) === task) this.#tasks.delete(task.partition);
      if (commitFirst && task.state === 'running' && task.hasUncommittedWork) {
        try {
          const outcome = await task.commit();
          if (outcome.outputs.length > 0) await this.#postCommit.afterCommit(task, outcome);
        } catch (error) {
          this.#log.warn(
            { error: describeError(error), task: task.taskId },
            'final commit failed; uncommitted work is discarded',
          );
        }
      }
      await task.suspend();
      await task.close();
      this.#log.info({ task: task.taskId, reason }, 'task closed');
    };
    const closing = alreadyLocked ? work() : task.lock.run(work);
    this.#closing.add(closing);
    try {
      await closing;
    } finally {
      this.#closing.delete(closing);
    }
  }

  /** Shutdown: commit and close every task. */
  async closeAll(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#initializing.values()]);
    await Promise.all([...this.#tasks.values()].map((t) => this.#closeTask(t, 'shutdown', true)));
    await Promise.allSettled([...this.#closing]);
  }
}
