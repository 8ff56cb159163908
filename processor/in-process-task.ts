import type { ChangelogSource } from '../state/index.ts';
import type { Clock } from './clock.ts';
import { validateStreamsConfig } from './config.ts';
import type { CommitUnit } from './kafka/client.ts';
import { createLogger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import type { StreamTask } from './task.ts';
import { TaskFactory } from './task-factory.ts';
import type { Topology } from './topology.ts';

export interface InProcessTaskOptions {
  readonly applicationId: string;
  /** A fresh directory of the caller's: the task starts with empty stores. */
  readonly stateDir: string;
  readonly partition: number;
  readonly clock: Clock;
  readonly metrics: EngineMetrics;
  /** Where the task's commits go instead of Kafka. */
  readonly commitUnit: CommitUnit;
  /** Where its stores' changelogs are read back from (nothing to restore over a fresh directory). */
  readonly changelogs: ChangelogSource;
}

/**
 * One running task of a topology in this process, without a broker (the test driver's and the
 * replay's): created and started by the task factory as the task manager's are, over the caller's
 * commit unit and changelogs, with no committed offsets and committed outputs kept for the caller.
 */
export async function startInProcessTask(
  topology: Topology,
  options: InProcessTaskOptions,
): Promise<StreamTask> {
  const config = validateStreamsConfig({
    applicationId: options.applicationId,
    brokers: ['unused:9092'],
    stateDir: options.stateDir,
    logLevel: 'silent',
  });
  const factory = new TaskFactory({
    topology,
    config,
    logger: createLogger({ level: 'silent' }),
    metrics: options.metrics,
    clock: options.clock,
    collectCommittedOutputs: true,
  });
  const task = await factory.create(options.partition);
  try {
    await factory.start(task, {
      openCommitUnit: async () => options.commitUnit,
      changelogs: options.changelogs,
      committedOffsets: async () => new Map(),
      heartbeat: async () => undefined,
    });
  } catch (error) {
    await task.close();
    throw error;
  }
  return task;
}
