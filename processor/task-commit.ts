import type { StateManager } from '../state/index.ts';
import type { Clock } from './clock.ts';
import { writesStateMarks, type StreamsConfig } from './config.ts';
import { SaldoError, TaskFencedError } from './errors.ts';
import type { CommitUnit } from './kafka/client.ts';
import type { EngineMetrics } from './metrics.ts';
import type { CommittedOutput, RecordCollector } from './record-collector.ts';
import { stateMarksTopicFor } from './internal-topics.ts';
import { StateMarker, encodeStateMark } from './state-marks.ts';
import type { TaskInputs } from './task-inputs.ts';

export interface CommitOutcome {
  committed: boolean;
  records: number;
  outputs: CommittedOutput[];
  /** The next changelog offset of each store the commit wrote. */
  checkpoints: ReadonlyMap<string, bigint>;
}

const NO_CHECKPOINTS: ReadonlyMap<string, bigint> = new Map();

export interface TaskCommitDeps {
  readonly taskId: string;
  /** The task's partition: that of its changelogs and of its state marks. */
  readonly partition: number;
  readonly config: StreamsConfig;
  readonly clock: Clock;
  readonly metrics: EngineMetrics;
  readonly state: StateManager;
  readonly collector: RecordCollector;
  readonly inputs: TaskInputs;
}

/**
 * A task's work since its last commit, and how it is committed (Kafka Streams' commit of a
 * StreamTask): outputs, dead letters, changelog records and input offsets go to Kafka in one
 * atomic commit unit; only then do the buffered state writes reach LevelDB, with the checkpoints
 * the commit earned. Local state is therefore never ahead of Kafka.
 */
export class TaskCommit {
  readonly #deps: TaskCommitDeps;
  #unit: CommitUnit | undefined;
  #processedSinceCommit = 0;
  #dirtySince: number | undefined;
  // Processed records not yet added to the records-processed counter: a prom-client call per record
  // costs more than the rest of the bookkeeping, so counts are added once per commit.
  #unreportedRecords = 0;
  readonly #recordsProcessed: { inc(value?: number): void };
  readonly #marker: StateMarker;
  readonly #marksTopic: string;

  constructor(deps: TaskCommitDeps) {
    this.#deps = deps;
    this.#recordsProcessed = deps.metrics.recordsProcessed.labels({ task: deps.taskId });
    // Marks need the commit's atomicity: with at-least-once a mark could outlive a commit that
    // failed halfway, and a zombie's changelog writes are not fenced off.
    this.#marker = new StateMarker(
      deps.taskId,
      writesStateMarks(deps.config) ? deps.config.stateMarkIntervalMs : 0,
    );
    this.#marksTopic = stateMarksTopicFor(deps.config.applicationId);
  }

  /** The commit unit commits go through; the outgoing records become its own kind. */
  use(unit: CommitUnit): void {
    this.#unit = unit;
    this.#deps.collector.use(unit.outgoing());
  }

  /** Closes the commit unit, if any. */
  async close(): Promise<void> {
    await this.#unit?.close();
    this.#unit = undefined;
  }

  /** Records processed since the last commit. */
  get uncommittedRecords(): number {
    return this.#processedSinceCommit;
  }

  get hasUncommittedWork(): boolean {
    return this.#dirtySince !== undefined;
  }

  /** One input record is processed (kept or dead-lettered). */
  recordProcessed(): void {
    this.#processedSinceCommit++;
    this.#unreportedRecords++;
    this.#dirtySince ??= this.#deps.clock.now();
  }

  /** Something besides a record (a punctuation) left work to commit. */
  markDirty(): void {
    this.#dirtySince ??= this.#deps.clock.now();
  }

  /** When the commit interval has passed since the first uncommitted work, or the buffer is full. */
  needsCommit(now: number): boolean {
    if (this.#dirtySince === undefined) return false;
    if (this.#processedSinceCommit >= this.#deps.config.maxBufferedRecordsPerTask) return true;
    return now - this.#dirtySince >= this.#deps.config.commitIntervalMs;
  }

  /**
   * Commits outputs, changelog records, dead letters and input offsets atomically, then applies the
   * buffered state writes with the new checkpoints. Local state is therefore never ahead of Kafka.
   * On failure the buffered work is discarded and the caller must re-initialise the task.
   */
  async commit(): Promise<CommitOutcome> {
    if (this.#dirtySince === undefined) {
      return { committed: false, records: 0, outputs: [], checkpoints: NO_CHECKPOINTS };
    }
    const { taskId, metrics, state, collector, inputs } = this.#deps;
    const unit = this.#unit;
    if (!unit) throw new Error(`task ${taskId} has no commit unit`);
    this.#reportProcessed();
    const started = performance.now();
    // Read before prepareCommit: the checkpoints are still those of the last commit.
    const marked = unit.transactional && this.#marker.due(this.#deps.clock.now());
    const mark = marked ? this.#marker.mark(state.committedChangelogPositions()) : undefined;
    collector.addChangelogRecords(state.prepareCommit());
    if (mark !== undefined) {
      collector.addStateMark({
        topic: this.#marksTopic,
        partition: this.#deps.partition,
        key: Buffer.from(mark.task),
        value: encodeStateMark(mark),
      });
    }
    // Copies: processing advances the task's own offset objects in place. The stream time goes
    // with them, so that whoever runs the task next starts from it.
    const offsets = inputs.committableOffsets();
    const streamTime = inputs.streamTime;
    const outputs = collector.committedOutputs();
    let produced: Map<string, number>;
    try {
      produced = await unit.commit(collector.records, offsets);
    } catch (error) {
      const fenced = error instanceof TaskFencedError;
      metrics.commitFailures.inc({ reason: fenced ? 'fenced' : 'error' });
      // A transactional unit aborts the transaction of a commit that failed.
      if (unit.transactional) metrics.transactionsAborted.inc({ reason: abortReason(error) });
      this.discard();
      throw error;
    }
    const checkpoints = await state.completeCommit(produced);
    this.#marker.committed(offsets, streamTime, this.#deps.clock.now(), marked);
    const count = this.#processedSinceCommit;
    const committedAt = this.#deps.clock.now();
    collector.reportCommitted(committedAt);
    collector.clear();
    this.#processedSinceCommit = 0;
    this.#dirtySince = undefined;
    metrics.commits.inc({ task: taskId });
    metrics.commitLatency.observe((performance.now() - started) / 1000);
    metrics.lastCommitTimestamp.set(committedAt / 1000);
    return { committed: true, records: count, outputs, checkpoints };
  }

  /** Drops everything since the last commit: outputs, dead letters and buffered state writes. */
  discard(): void {
    this.#reportProcessed();
    this.#deps.state.discardUncommitted();
    this.#deps.collector.clear();
    this.#processedSinceCommit = 0;
    this.#dirtySince = undefined;
  }

  /** Adds the records processed since the last report to the records-processed counter. */
  #reportProcessed(): void {
    if (this.#unreportedRecords === 0) return;
    this.#recordsProcessed.inc(this.#unreportedRecords);
    this.#unreportedRecords = 0;
  }
}

/** Why a commit's transaction was aborted: fenced by a newer holder, or an error that retrying may or may not mend. */
function abortReason(error: unknown): 'fenced' | 'error' | 'unrecoverable' {
  if (error instanceof TaskFencedError) return 'fenced';
  return error instanceof SaldoError && !error.retriable ? 'unrecoverable' : 'error';
}
