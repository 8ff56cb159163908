import { changelogTopicConfigs, type ChangelogPartition, type StoreSpec } from '../state/index.ts';
import type { TopicSpec } from './kafka/client.ts';

/**
 * The names of the topics the engine makes for an application, all in one place, so that the app's
 * start-up check, the tasks, describe(), the test driver and the benchmarks agree. Changelogs are
 * named as Kafka Streams names them; repartition topics, when the engine has them, will be named
 * here too (Kafka Streams': `<appId>-<name>-repartition`).
 *
 * In processor/, not state/: the state layer knows its stores by name and never names a topic
 * (state/ may not import from processor/); processor/ maps each store to its changelog with these.
 */

/** A store's changelog: `<appId>-<storeName>-changelog`. */
export function changelogTopicFor(applicationId: string, storeName: string): string {
  return `${applicationId}-${storeName}-changelog`;
}

/** The application's dead letters: `<appId>-dlq`. */
export function deadLetterTopicFor(applicationId: string): string {
  return `${applicationId}-dlq`;
}

/** The tasks' state marks (processor/state-marks.ts), partition _p_ for task `0_p`: `<appId>-state-marks`. */
export function stateMarksTopicFor(applicationId: string): string {
  return `${applicationId}-state-marks`;
}

/** The config that keeps a changelog's history uncompacted for `saldo replay`. */
export const CHANGELOG_HISTORY_CONFIG = 'min.compaction.lag.ms';

/** What the internal topics need to know of the app: its id, and whether and how far it can replay. */
export interface InternalTopicsOptions {
  readonly applicationId: string;
  readonly partitions: number;
  /** Whether the tasks write state marks (exactly-once, stateMarkIntervalMs above 0). */
  readonly stateMarks: boolean;
  readonly replayHorizonMs: number;
}

/**
 * Every internal topic of an application with the partition count and configs it needs: each
 * store's changelog (a table's store has none: its input topic is one), the dead-letter topic and,
 * with state marks, the marks topic. With marks, changelogs keep every record younger than the
 * replay horizon uncompacted (`min.compaction.lag.ms`): a mark's state is then still in them (the
 * records after the mark are younger than the horizon, so none of them has replaced an older
 * value yet), and marks are kept as long (retention; not compacted: each is a point in time).
 */
export function internalTopicSpecs(
  stores: readonly StoreSpec[],
  options: InternalTopicsOptions,
): TopicSpec[] {
  const { applicationId, partitions, stateMarks, replayHorizonMs } = options;
  const history: Record<string, string> = stateMarks
    ? { [CHANGELOG_HISTORY_CONFIG]: String(replayHorizonMs) }
    : {};
  const specs: TopicSpec[] = stores
    .filter((spec) => spec.logged !== false)
    .map((spec) => ({
      topic: changelogTopicFor(applicationId, spec.name),
      numPartitions: partitions,
      configs: { ...changelogTopicConfigs(spec.kind, spec.retentionMs, spec.name), ...history },
    }));
  specs.push({ topic: deadLetterTopicFor(applicationId), numPartitions: partitions });
  if (stateMarks) {
    specs.push({
      topic: stateMarksTopicFor(applicationId),
      numPartitions: partitions,
      configs: { 'cleanup.policy': 'delete', 'retention.ms': String(replayHorizonMs) },
    });
  }
  return specs;
}

/** The stores with a changelog of their own (a table's store has none: its input topic is one). */
export function loggedStoreNames(stores: readonly StoreSpec[]): string[] {
  return stores.filter((spec) => spec.logged !== false).map((spec) => spec.name);
}

/** The changelog topics of an application's stores (partition p of each belongs to task p). */
export function changelogTopicsOf(applicationId: string, stores: readonly StoreSpec[]): string[] {
  return loggedStoreNames(stores).map((name) => changelogTopicFor(applicationId, name));
}

/**
 * The changelog partition of each store of task `partition` that has a changelog of its own (a
 * table's store has none: its input topic is its changelog), as the task's state manager takes it.
 */
export function storeChangelogs(
  applicationId: string,
  stores: readonly StoreSpec[],
  partition: number,
): Map<string, ChangelogPartition> {
  return new Map(
    stores
      .filter((spec) => spec.logged !== false)
      .map((spec) => [spec.name, { topic: changelogTopicFor(applicationId, spec.name), partition }]),
  );
}
