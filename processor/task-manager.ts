import { StateManager, type RestoreSummary } from '../state/index.ts';
import { changelogTopicFor, storeChangelogs } from './internal-topics.ts';
import type { Clock } from './clock.ts';
import type { StreamsConfig } from './config.ts';
import { SaldoError, TaskFencedError, describeError } from './errors.ts';
import type {
  AdminClient,
  BatchControl,
  ConsumedBatch,
  GroupConsumer,
  KafkaClientAdapter,
} from './kafka/client.ts';
import { tpKey } from './records.ts';
import type { Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import type { PartitionGroup } from './partition-group.ts';
import { bootstrapTables } from './table-bootstrap.ts';
import type { PostCommitHook, TaskStartedEvent } from './post-commit.ts';
import type { CommitOutcome } from './task-commit.ts';
import { StreamTask } from './task.ts';
import { formatTaskId, taskIdFor } from './task-id.ts';
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
  /**
   * The instance cannot go on: a task's commits failed `unrecoverableCommitAttempts` times in a
   * row on an error no retry can mend (a missing topic, no authorization).
   */
  onFatal: (error: SaldoError) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a batch may hold the event loop before it lets I/O, timers and heartbeats run. */
const YIELD_EVERY_MS = 20;

/** Longer than a heartbeat interval: time for a zombie to learn that it is one. */
const FENCED_PAUSE_MS = 3_000;

/** The pause before a task whose commit failed starts again. */
const COMMIT_FAILED_PAUSE_MS = 1_000;

/** The pause after the first commit that failed on an error retrying cannot fix; doubled each time. */
const UNRECOVERABLE_BACKOFF_MS = 1_000;

/**
 * Owns the tasks of this instance: creates and restores them when their partitions are assigned,
 * routes batches to them, commits them, and closes them when their partitions are revoked, when
 * they are fenced, or at shutdown.
 */
export class TaskManager {
  readonly #deps: TaskManagerDeps;
  readonly #log: Logger;
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
  readonly #unrecoverableFailures = new Map<number, number>();
  /** After a seek, batches fetched from elsewhere are stale: only one fetched at this offset is taken. */
  readonly #awaitedFetch = new Map<string, number>();
  #stopping = false;
  #memberId: string | undefined;
  /** Closes under way (revoked or lost tasks), awaited at shutdown so stores are closed cleanly. */
  readonly #closing = new Set<Promise<void>>();

  constructor(deps: TaskManagerDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'task-manager' });
  }

  get tasks(): ReadonlyMap<number, StreamTask> {
    return this.#tasks;
  }

  ownedPartitions(): number[] {
    return [...this.#tasks.keys()].sort((a, b) => a - b);
  }

  /**
   * A new assignment (a new generation): close the tasks we lost and create and restore the new ones
   * at once, in the background, whether or not their inputs have new records (so that idle tasks
   * run their wall-clock punctuations, and restoration does not wait for traffic).
   */
  onAssignment(partitions: number[], memberId: string): void {
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
    await task.lock.run(async () => {
      if (task.state !== 'running' || this.#tasks.get(p) !== task) return;
      const awaited = this.#isAwaitedFetch(batch);
      if (awaited !== true && !(await awaited)) return;
      let yieldedAt = performance.now();
      let last: number | undefined;
      for (const record of batch.records) {
        if (control.isStale() || this.#stopping) break;
        // Most records are handled synchronously: awaiting only what is pending saves each record
        // a suspension of this loop (the periodic setImmediate below keeps it fair).
        const pending = task.processNow(record);
        if (pending) await pending;
        last = record.offset;
        if (task.needsCommit(this.#deps.clock.now())) {
          control.resolve(last);
          await this.#commit(task);
          if (this.#tasks.get(p) !== task) return; // the commit failed and the task was closed
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
    });
  }

  /**
   * After a seek, only a batch fetched at or before the seek target is taken. One fetched from
   * beyond it would skip records: it is dropped, unless retention deleted the target (the
   * consumer then restarts from the log start, and nothing below it can be fetched any more).
   * One fetched at or before it is safe (records below the task's next offset are skipped).
   * Synchronous, and free, when no seek is awaited: the case of nearly every batch.
   */
  #isAwaitedFetch(batch: ConsumedBatch): boolean | Promise<boolean> {
    const key = tpKey(batch);
    const awaited = this.#awaitedFetch.get(key);
    if (awaited === undefined) return true;
    if (batch.fetchedOffset > awaited) return this.#wasDeletedBelow(batch, awaited);
    this.#awaitedFetch.delete(key);
    return true;
  }

  /**
   * Whether `batch` comes from the log start after retention deleted the records from `awaited`
   * on; if so the seek is over, and the loss is logged and counted (Kafka Streams' reset to the
   * earliest offset). A dropped batch is fetched again, so a check fails only this once.
   */
  async #wasDeletedBelow(batch: ConsumedBatch, awaited: number): Promise<boolean> {
    const key = tpKey(batch);
    const tp = { topic: batch.topic, partition: batch.partition };
    const logStart = (await this.#deps.admin.offsetRange([tp])).get(key)?.start;
    if (logStart === undefined || logStart <= awaited || batch.fetchedOffset > logStart) return false;
    if (this.#awaitedFetch.get(key) !== awaited) return false; // another seek came meanwhile
    this.#awaitedFetch.delete(key);
    const lost = logStart - awaited;
    this.#deps.metrics.inputRecordsLostToRetention.inc({ topic: batch.topic }, lost);
    this.#log.error(
      { topic: batch.topic, partition: batch.partition, from: awaited, logStart, lost },
      'input records were deleted by retention before they were processed; going on from the log start',
    );
    return true;
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
    const awaited = this.#isAwaitedFetch(batch);
    if (awaited !== true && !(await awaited)) return;
    if (task.state !== 'running' || this.#tasks.get(batch.partition) !== task) return;
    const consumed = group.add(batch);
    if (consumed !== undefined) control.resolve(consumed);
    // The consumer hands over the batches of one fetch in one turn: let them all into the group
    // before choosing, so that order holds across everything one fetch brought.
    await new Promise((resolve) => setImmediate(resolve));
    await task.lock.run(() => this.#processGroup(task, group, control));
  }

  /** Processes the group's records in order until it has none it may hand out; under the task's lock. */
  async #processGroup(task: StreamTask, group: PartitionGroup, control?: BatchControl): Promise<void> {
    if (task.state !== 'running' || this.#tasks.get(task.partition) !== task) return;
    let yieldedAt = performance.now();
    for (;;) {
      if (control?.isStale() === true || this.#stopping) return;
      let next = group.next(this.#deps.clock.now());
      if (next instanceof Promise) next = await next;
      if (next === undefined) return;
      const pending = task.processNow(next.record, next.decoded);
      if (pending) await pending;
      if (task.needsCommit(this.#deps.clock.now())) {
        await this.#commit(task);
        if (this.#tasks.get(task.partition) !== task) return; // the commit failed and the task was closed
      }
      if (performance.now() - yieldedAt > YIELD_EVERY_MS) {
        if (control !== undefined) await control.heartbeat();
        await new Promise((resolve) => setImmediate(resolve));
        yieldedAt = performance.now();
      }
    }
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
          if (group !== undefined && group.buffered > 0) await this.#processGroup(task, group);
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
    const { topology, config, adapter, admin } = this.#deps;
    const taskId = formatTaskId(taskIdFor(p));
    let stateManager: StateManager;
    try {
      stateManager = await StateManager.open({
        appId: config.applicationId,
        taskId,
        stateDir: config.stateDir,
        stores: topology.storeSpecs,
        changelogs: storeChangelogs(config.applicationId, topology.storeSpecs, p),
      });
    } catch (error) {
      // e.g. the store is still locked by this task's previous incarnation, closing after a revocation.
      this.#log.warn(
        { error: describeError(error), task: taskId },
        "cannot open the task's stores yet; retrying in a second",
      );
      return undefined;
    }
    const task = new StreamTask({
      taskId,
      partition: p,
      topology,
      config,
      stateManager,
      logger: this.#deps.logger,
      metrics: this.#deps.metrics,
      clock: this.#deps.clock,
      collectCommittedOutputs: this.#deps.postCommitHooks.length > 0,
    });
    try {
      task.beginRestoring();
      // Opening the commit unit fences any older holder of this task (a zombie): from here on the
      // committed offsets and the changelog end cannot move under us.
      const unit = await adapter.openCommitUnit({
        transactionalId: `${config.applicationId}-${taskId}`,
        exactlyOnce: config.processingGuarantee === 'exactly-once',
        groupId: config.applicationId,
      });
      let summary: RestoreSummary;
      try {
        const reader = adapter.changelogReader();
        const metrics = this.#deps.metrics;
        summary = await stateManager.restore(
          {
            offsetRange: (partitions) => admin.offsetRange(partitions),
            read: (ranges, onRecords, control) => reader.read(ranges, onRecords, control),
          },
          {
            logger: this.#deps.logger.child({ task: taskId }),
            onRemaining: (remaining) => metrics.restoreRemaining.set({ task: taskId }, remaining),
            onRestored: (store, records) => metrics.restoredRecords.inc({ store }, records),
            // Restoration runs beside the group consumer's loop, which keeps heartbeating.
            heartbeat: async () => undefined,
          },
        );
      } catch (error) {
        await unit.close();
        throw error;
      }
      const inputs = task.inputPartitions();
      const committed = await admin.committedOffsets(config.applicationId, inputs);
      const ranges = await admin.offsetRange(inputs);
      task.startRunning(unit, committed);
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
      const positions = new Map<string, number>();
      const ends = new Map<string, number>();
      for (const tp of inputs) {
        const offset = task.nextOffset(tp.topic) ?? ranges.get(tpKey(tp))?.start ?? 0;
        this.#awaitedFetch.set(tpKey(tp), offset);
        this.#deps.consumer().seek({ ...tp, offset });
        positions.set(tp.topic, offset);
        // A table's bootstrap may have read past the end taken before it.
        ends.set(tp.topic, Math.max(offset, ranges.get(tpKey(tp))?.end ?? 0));
      }
      task.openPartitionGroup(positions, ends);
      this.#announceStart(task);
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

  /** Tells the post-commit hooks that the task runs, with a way to read its stores' changelogs. */
  #announceStart(task: StreamTask): void {
    const { adapter, admin, config } = this.#deps;
    const readChangelog: TaskStartedEvent['readChangelog'] = async (store, from, to, onRecords) => {
      const tp = { topic: changelogTopicFor(config.applicationId, store), partition: task.partition };
      // Below the log start there is nothing left to read (retention deleted it).
      const start = (await admin.offsetRange([tp])).get(tpKey(tp))?.start ?? 0;
      const first = Math.max(Number(from), start);
      if (first >= Number(to)) return;
      await adapter
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
    for (const hook of this.#deps.postCommitHooks) {
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

  async #commit(task: StreamTask): Promise<void> {
    try {
      const outcome = await task.commit();
      if (outcome.committed) this.#unrecoverableFailures.delete(task.partition);
      if (outcome.committed && outcome.outputs.length > 0) await this.#runPostCommitHooks(task, outcome);
    } catch (error) {
      const fenced = error instanceof TaskFencedError;
      if (fenced) this.#park(task.partition);
      else if (error instanceof SaldoError && !error.retriable) {
        await this.#closeTask(task, 'commit-failed', false, true);
        this.#onUnrecoverableCommitFailure(task, error);
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

  /**
   * A commit failed on an error retrying cannot fix (a missing topic, no authorization): the task
   * pauses, for twice as long each time, and after `unrecoverableCommitAttempts` failures in a row
   * the instance stops, saying why, rather than reprocess the same records forever.
   */
  #onUnrecoverableCommitFailure(task: StreamTask, error: SaldoError): void {
    const attempts = (this.#unrecoverableFailures.get(task.partition) ?? 0) + 1;
    this.#unrecoverableFailures.set(task.partition, attempts);
    const limit = this.#deps.config.unrecoverableCommitAttempts;
    if (attempts >= limit) {
      this.#deps.onFatal(
        new SaldoError(
          `task ${task.taskId} failed to commit ${attempts} times in a row on an error retrying cannot fix: ${describeError(error).message}`,
          { retriable: false, context: { taskId: task.taskId }, cause: error },
        ),
      );
      return;
    }
    const pauseMs = UNRECOVERABLE_BACKOFF_MS * 2 ** (attempts - 1);
    this.#log.error(
      { error: describeError(error), task: task.taskId, attempt: attempts, of: limit, pauseMs },
      `commit failed on an error retrying cannot fix (attempt ${attempts} of ${limit}); the task pauses, then restarts from its last commit`,
    );
    this.#park(task.partition, pauseMs);
  }

  #park(p: number, pauseMs = FENCED_PAUSE_MS): void {
    this.#parked.add(p);
    setTimeout(() => {
      if (!this.#parked.delete(p) || this.#stopping || !this.#assigned.has(p)) return;
      void this.#taskFor(p);
    }, pauseMs).unref();
  }

  /** Post-commit hooks see only committed outputs, in order per partition; failures are retried. */
  async #runPostCommitHooks(task: StreamTask, outcome: CommitOutcome): Promise<void> {
    const event = {
      taskId: task.taskId,
      partition: task.partition,
      outputs: outcome.outputs,
      checkpoints: outcome.checkpoints,
    };
    for (const hook of this.#deps.postCommitHooks) {
      for (let attempt = 1; ; attempt++) {
        try {
          await hook(event);
          break;
        } catch (error) {
          if (attempt >= 5) {
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
          if (outcome.outputs.length > 0) await this.#runPostCommitHooks(task, outcome);
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
