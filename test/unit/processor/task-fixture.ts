import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  EngineMetrics,
  ManualClock,
  createLogger,
  validateStreamsConfig,
  type Topology,
} from '../../../processor/index.ts';
import type {
  CommitUnit,
  CommittedOffset,
  OutgoingRecords,
  ProducedOffsets,
} from '../../../processor/kafka/client.ts';
import type { OutgoingRecord, TopicPartitionOffset } from '../../../processor/records.ts';
import { OutgoingRecordList } from '../../../processor/kafka/client.ts';
import type { StreamTask } from '../../../processor/task.ts';
import { TaskFactory } from '../../../processor/task-factory.ts';
import type { StateManager } from '../../../state/index.ts';

// A running StreamTask over real LevelDB stores in a temporary directory, with a commit unit that
// records what each commit carried: the fixture of the task's unit tests.

/** Keeps what each commit carried and answers with offsets, as a broker would. */
export class RecordingCommitUnit implements CommitUnit {
  readonly transactional = true;
  readonly commits: Array<{ records: OutgoingRecord[]; offsets: TopicPartitionOffset[] }> = [];
  readonly #ends = new Map<string, number>();

  outgoing(): OutgoingRecordList {
    return new OutgoingRecordList();
  }

  async commit(outgoing: OutgoingRecords, offsets: TopicPartitionOffset[]): Promise<ProducedOffsets> {
    // A copy: the task empties its outgoing records after the commit.
    const records = [...OutgoingRecordList.recordsOf(outgoing)];
    this.commits.push({ records, offsets });
    const produced: ProducedOffsets = new Map();
    for (const r of records) {
      const key = `${r.topic}:${r.partition ?? 0}`;
      const offset = this.#ends.get(key) ?? 0;
      this.#ends.set(key, offset + 1);
      produced.set(key, offset);
    }
    return produced;
  }

  async close(): Promise<void> {}
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export async function runningTask(
  topology: Topology,
  options: {
    stateCacheMaxBytesPerTask?: number;
    collectCommittedOutputs?: boolean;
    committed?: Map<string, CommittedOffset>;
    /** An existing state directory (a restart with local state); default: a fresh one. */
    stateDir?: string;
    /** The task's wall clock; default: one standing at 0. */
    clock?: ManualClock;
    processingGuarantee?: 'exactly-once' | 'at-least-once';
  } = {},
): Promise<{ task: StreamTask; unit: RecordingCommitUnit; metrics: EngineMetrics; state: StateManager }> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'saldo-task-')));
  if (options.stateDir === undefined) cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
  const config = validateStreamsConfig({
    applicationId: 'task-test',
    brokers: ['unused:9092'],
    stateDir,
    logLevel: 'silent',
    ...(options.stateCacheMaxBytesPerTask === undefined
      ? {}
      : { stateCacheMaxBytesPerTask: options.stateCacheMaxBytesPerTask }),
    ...(options.processingGuarantee === undefined
      ? {}
      : { processingGuarantee: options.processingGuarantee }),
  });
  const metrics = new EngineMetrics();
  const task = await new TaskFactory({
    topology,
    config,
    logger: createLogger({ level: 'silent' }),
    metrics,
    clock: options.clock ?? new ManualClock(0),
    collectCommittedOutputs: options.collectCommittedOutputs ?? true,
  }).create(0);
  const state = task.stateManager;
  cleanups.push(() => task.close());
  const unit = new RecordingCommitUnit();
  task.beginRestoring();
  task.startRunning(unit, options.committed ?? new Map());
  return { task, unit, metrics, state };
}
