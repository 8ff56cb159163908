import type { ChangelogPartition, StoreSpec } from '../state/index.ts';

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
