import { StateManager, type ChangelogSource, type RestoreSummary } from '../state/index.ts';
import type { Clock } from './clock.ts';
import type { StreamsConfig } from './config.ts';
import type {
  AdminClient,
  ChangelogReader,
  CommitUnit,
  CommittedOffset,
  KafkaClientAdapter,
} from './kafka/client.ts';
import { storeChangelogs } from './internal-topics.ts';
import type { TopicPartition } from './records.ts';
import { taskLogger, type Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import { StreamTask } from './task.ts';
import { formatTaskId, taskIdFor } from './task-id.ts';
import type { Topology } from './topology.ts';

export interface TaskFactoryDeps {
  readonly topology: Topology;
  readonly config: StreamsConfig;
  readonly logger: Logger;
  readonly metrics: EngineMetrics;
  readonly clock: Clock;
  /** Whether tasks keep their committed outputs for post-commit hooks (see StreamTaskDeps). */
  readonly collectCommittedOutputs: boolean;
}

/** What starting a task takes from where it runs: Kafka for the task manager, memory for the test driver. */
export interface TaskStartSources {
  /** Opens the task's commit unit; with exactly-once this fences any older holder of the task. */
  openCommitUnit(): Promise<CommitUnit>;
  /** Where the stores' changelogs are read back from. */
  readonly changelogs: ChangelogSource;
  /** The committed offsets of the task's inputs (final once the commit unit fenced older holders). */
  committedOffsets(inputs: TopicPartition[]): Promise<ReadonlyMap<string, CommittedOffset>>;
  /** Called between restore reads. */
  heartbeat(): Promise<void>;
}

/**
 * Creates tasks, the one way both the task manager and the test driver do: opens the task's state
 * (its stores, with the configured cache size), constructs the task over it, and starts it:
 *
 *   created --beginRestoring--> restoring: open the commit unit (fencing older holders), restore
 *   the stores from their changelogs, read the committed input offsets --startRunning--> running
 */
export class TaskFactory {
  readonly #deps: TaskFactoryDeps;

  constructor(deps: TaskFactoryDeps) {
    this.#deps = deps;
  }

  /** The task of `partition`, created over its opened state (which fails while another holds it). */
  async create(partition: number): Promise<StreamTask> {
    const { topology, config } = this.#deps;
    const taskId = formatTaskId(taskIdFor(partition));
    const stateManager = await StateManager.open({
      appId: config.applicationId,
      taskId,
      stateDir: config.stateDir,
      stores: topology.storeSpecs,
      cacheMaxBytes: config.stateCacheMaxBytesPerTask,
      changelogs: storeChangelogs(config.applicationId, topology.storeSpecs, partition),
    });
    return new StreamTask({
      taskId,
      partition,
      topology,
      config,
      stateManager,
      logger: this.#deps.logger,
      metrics: this.#deps.metrics,
      clock: this.#deps.clock,
      collectCommittedOutputs: this.#deps.collectCommittedOutputs,
    });
  }

  /**
   * Restores a created task and starts it running. On failure the task is left restoring (its
   * commit unit closed if it was opened): the caller closes it.
   */
  async start(task: StreamTask, sources: TaskStartSources): Promise<RestoreSummary> {
    task.beginRestoring();
    // Opening the commit unit fences any older holder of this task (a zombie): from here on the
    // committed offsets and the changelog end cannot move under us.
    const unit = await sources.openCommitUnit();
    // Until the task runs with it, the commit unit is ours to close if anything fails.
    try {
      const summary = await this.#restore(task, sources);
      this.#deps.metrics.restoreDuration.observe(summary.elapsedMs / 1000);
      const committed = await sources.committedOffsets(task.inputPartitions());
      task.startRunning(unit, committed);
      return summary;
    } catch (error) {
      await unit.close();
      throw error;
    }
  }

  #restore(task: StreamTask, sources: TaskStartSources): Promise<RestoreSummary> {
    const { logger, metrics } = this.#deps;
    const taskId = task.taskId;
    return task.stateManager.restore(sources.changelogs, {
      logger: taskLogger(logger, taskId, task.partition),
      onRemaining: (remaining) => metrics.restoreRemaining.set({ task: taskId }, remaining),
      onRestored: (store, records) => metrics.restoredRecords.inc({ store }, records),
      heartbeat: () => sources.heartbeat(),
    });
  }
}

/**
 * Starting task `taskId` over Kafka: its commit unit (with exactly-once, a transactional producer
 * with id `<app>-<task>`, which fences any zombie holding the task), its changelogs, and the
 * group's committed offsets. Restoration runs beside the group consumer's loop, which keeps
 * heartbeating.
 */
export function kafkaStartSources(
  config: StreamsConfig,
  adapter: KafkaClientAdapter,
  admin: AdminClient,
  taskId: string,
): TaskStartSources {
  return {
    openCommitUnit: () =>
      adapter.openCommitUnit({
        transactionalId: `${config.applicationId}-${taskId}`,
        exactlyOnce: config.processingGuarantee === 'exactly-once',
        groupId: config.applicationId,
      }),
    changelogs: kafkaChangelogSource(admin, adapter.changelogReader()),
    committedOffsets: (inputs) => admin.committedOffsets(config.applicationId, inputs),
    heartbeat: async () => undefined,
  };
}

/** The changelog source of state/ over the Kafka port: the admin's offsets, the changelog reader. */
export function kafkaChangelogSource(admin: AdminClient, reader: ChangelogReader): ChangelogSource {
  return {
    offsetRange: (partitions) => admin.offsetRange(partitions),
    read: (ranges, onRecords, control) => reader.read(ranges, onRecords, control),
  };
}
