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
