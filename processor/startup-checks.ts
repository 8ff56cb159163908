import { writesStateMarks, type StreamsConfig } from './config.ts';
import { InternalTopicConfigError, MissingTopicsError, PartitionCountMismatchError } from './errors.ts';
import { CHANGELOG_HISTORY_CONFIG, internalTopicSpecs } from './internal-topics.ts';
import type { AdminClient, TopicSpec } from './kafka/client.ts';
import type { Logger } from './log.ts';
import type { Topology } from './topology.ts';

/** What an app's start-up checks look at: its topology, configuration and logger. */
export interface StartupCheckContext {
  readonly admin: AdminClient;
  readonly topology: Topology;
  readonly config: StreamsConfig;
  readonly logger: Logger;
}

/**
 * The topics an app needs before it joins its group: inputs co-partitioned, outputs present
 * (created with --create-topics), internal topics created or checked. Returns the inputs'
 * partition count.
 */
export async function checkTopicsAtStart(context: StartupCheckContext): Promise<number> {
  const partitions = await checkCopartitioning(context);
  await checkOutputTopics(context, partitions);
  await ensureInternalTopics(context, partitions);
  return partitions;
}

/** Co-partitioned inputs must have one partition count; a mismatch stops the app at start. */
async function checkCopartitioning({ admin, topology }: StartupCheckContext): Promise<number> {
  const counts = await admin.partitionCounts(topology.sourceTopics);
  const missing = missingTopics(counts);
  if (missing.length > 0) {
    throw new MissingTopicsError('input', missing, 'create them (`saldo topics create`) first');
  }
  const distinct = new Set(counts.values());
  if (distinct.size !== 1)
    throw new PartitionCountMismatchError(Object.fromEntries(counts) as Record<string, number>);
  return [...distinct][0] as number;
}

/**
 * Output topics must exist (a commit to a missing one can only fail); with createOutputTopics
 * the missing ones are created with the inputs' partition count and their sinks' configs.
 */
async function checkOutputTopics(
  { admin, topology, config, logger }: StartupCheckContext,
  partitions: number,
): Promise<void> {
  const configs = topology.sinkTopicConfigs;
  const counts = await admin.partitionCounts([...configs.keys()]);
  const missing = missingTopics(counts);
  if (missing.length === 0) return;
  if (!config.createOutputTopics) {
    throw new MissingTopicsError(
      'output',
      missing,
      'create them (`saldo topics create`) or start with --create-topics',
    );
  }
  logger.info({ topics: missing, partitions }, 'creating missing output topics');
  await admin.createTopics(
    missing.map((topic) => ({ topic, numPartitions: partitions, configs: configs.get(topic) ?? {} })),
  );
}

/**
 * Changelogs, the DLQ and the state marks topic get the inputs' partition count; existing ones
 * are checked, and changelogs that keep less history than the replay horizon get it (an older
 * saldo created them without): a task's marks are only sound once its changelogs keep it.
 */
async function ensureInternalTopics(context: StartupCheckContext, partitions: number): Promise<void> {
  const { admin, topology, config } = context;
  const specs = internalTopicSpecs(topology.storeSpecs, {
    applicationId: config.applicationId,
    partitions,
    stateMarks: writesStateMarks(config),
    replayHorizonMs: config.replayHorizonMs,
  });
  const existing = await admin.partitionCounts(specs.map((s) => s.topic));
  const toCreate: TopicSpec[] = [];
  for (const spec of specs) {
    const count = existing.get(spec.topic);
    if (count === undefined) toCreate.push(spec);
    else if (count !== partitions) {
      throw new PartitionCountMismatchError({
        ...Object.fromEntries(topology.sourceTopics.map((t) => [t, partitions])),
        [spec.topic]: count,
      });
    }
  }
  await admin.createTopics(toCreate);
  await keepChangelogHistory(
    context,
    specs.filter((s) => existing.get(s.topic) !== undefined),
  );
}

/** Raises `min.compaction.lag.ms` of existing changelogs that keep less history than asked. */
async function keepChangelogHistory(
  { admin, logger }: StartupCheckContext,
  existing: TopicSpec[],
): Promise<void> {
  const wanted = existing.filter((s) => s.configs?.[CHANGELOG_HISTORY_CONFIG] !== undefined);
  if (wanted.length === 0) return;
  const configs = await admin.topicConfigs(
    wanted.map((s) => s.topic),
    [CHANGELOG_HISTORY_CONFIG],
  );
  for (const spec of wanted) {
    const want = spec.configs?.[CHANGELOG_HISTORY_CONFIG] as string;
    const have = Number(configs.get(spec.topic)?.[CHANGELOG_HISTORY_CONFIG] ?? 0);
    if (have >= Number(want)) continue;
    logger.info(
      { topic: spec.topic, config: CHANGELOG_HISTORY_CONFIG, from: have, to: Number(want) },
      'changelog keeps its history for the replay horizon from now on',
    );
    await admin
      .alterTopicConfigs(spec.topic, { [CHANGELOG_HISTORY_CONFIG]: want })
      .catch((error: unknown) => {
        throw new InternalTopicConfigError(
          spec.topic,
          CHANGELOG_HISTORY_CONFIG,
          want,
          'set it by hand (kafka-configs --alter), or start without state marks (SALDO_STATE_MARK_INTERVAL_MS=0; saldo replay then has none)',
          error,
        );
      });
  }
}

/** The topics a partition-count lookup found no partitions for: they do not exist. */
function missingTopics(counts: ReadonlyMap<string, number | undefined>): string[] {
  return [...counts].filter(([, count]) => count === undefined).map(([topic]) => topic);
}
