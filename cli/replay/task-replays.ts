import { encodeCommitMetadata, decodeCommitMetadata } from '../../processor/commit-metadata.ts';
import { CHANGELOG_HISTORY_CONFIG, stateMarksTopicFor } from '../../processor/internal-topics.ts';
import type { AdminClient, CommitUnit, KafkaClientAdapter } from '../../processor/kafka/client.ts';
import { tpKey, type TopicPartition, type TopicPartitionOffset } from '../../processor/records.ts';
import { decodeStateMark } from '../../processor/state-marks.ts';
import { formatTaskId, taskIdFor } from '../../processor/task-id.ts';
import { readPartitionsToEnd, readRanges } from '../read-topic.ts';
import { ChangelogRewrite, type RewriteRecord } from './changelog-rewrite.ts';
import { chooseMark, historyProblem, type StoredMark } from './mark-choice.ts';

/** What a replay needs to know of the application. */
export interface ReplayScope {
  readonly applicationId: string;
  /** Stream inputs: their offsets go back to the mark. */
  readonly streamTopics: readonly string[];
  /**
   * Table inputs: their offsets stay (a table is read to its end whenever a task starts), and
   * only the stream time committed with them goes back to the mark's.
   */
  readonly tableTopics: readonly string[];
  /** Each store with a changelog of its own. */
  readonly changelogs: ReadonlyArray<{ readonly store: string; readonly topic: string }>;
  readonly now: () => number;
}

/** One store of a task: how its changelog goes back to the mark. */
export interface StoreRestore {
  readonly store: string;
  readonly changelog: string;
  /** The mark's offset in the changelog, and the changelog's end. */
  readonly markOffset: number;
  readonly end: number;
  /** Keys written since the mark, and of them those whose value is not the mark's (to rewrite). */
  readonly keysChanged: number;
  readonly rewrite: number;
}

export type PartitionStatus = 'to do' | 'done' | 'nothing to do' | 'refused';

/** The replay of one task (input partition), planned or done. */
export interface PartitionReplay {
  readonly partition: number;
  readonly task: string;
  status: PartitionStatus;
  /** Why it is refused. */
  reason?: string;
  /** Stream input → the offset asked for (at the time, or given). */
  readonly target: Record<string, number>;
  /** The mark it starts from: its place on the marks topic and its contents. */
  mark?: {
    readonly offset: number;
    readonly wallClockMs: number;
    readonly streamTimeMs: number;
    readonly inputs: Record<string, number>;
    /** Changelog → the offset its state covered. */
    readonly changelogs: Record<string, number>;
  };
  /** Stream input → the group's committed offset now (null: none). */
  committed: Record<string, number | null>;
  /** Records of the stream inputs from the mark to their end: what the instances reprocess. */
  reprocess: number;
  stores: StoreRestore[];
}

/** One changelog partition of a task as the replay read it. */
interface ChangelogRead {
  readonly changelog: string;
  readonly rewrite: ChangelogRewrite;
  readonly markOffset: number;
  /** The changelog partition's start and end offsets when it was read. */
  readonly start: number;
  readonly end: number;
}

/** What applying one task's replay commits, in one transaction. */
interface TaskWork {
  readonly records: Array<RewriteRecord & { topic: string; partition: number }>;
  readonly offsets: TopicPartitionOffset[];
}

export interface ReplayPlan {
  readonly partitions: PartitionReplay[];
  readonly work: ReadonlyMap<number, TaskWork>;
}

/**
 * Plans the replay of these partitions to the marks at or before `targets` (partition → stream
 * input → offset): for each, the mark, the changelog records that put its stores back to the
 * mark, and the offsets to commit. Reads the marks, then each changelog after its mark (to learn
 * the keys changed since) and before it (their values at the mark). A plan to be applied is made
 * after the caller fenced the tasks, so that nothing moves while this reads.
 */
export async function planReplays(
  adapter: KafkaClientAdapter,
  admin: AdminClient,
  scope: ReplayScope,
  targets: ReadonlyMap<number, Record<string, number>>,
): Promise<ReplayPlan> {
  const partitions = [...targets.keys()];
  const marks = await readMarks(adapter, admin, scope.applicationId, partitions);
  const inputs = partitions.flatMap((partition) =>
    [...scope.streamTopics, ...scope.tableTopics].map((topic) => ({ topic, partition })),
  );
  const [inputRanges, committed] = await Promise.all([
    admin.offsetRange(inputs),
    admin.committedOffsets(scope.applicationId, inputs),
  ]);

  const replays = new Map<number, PartitionReplay>();
  for (const partition of partitions) {
    const target = targets.get(partition) as Record<string, number>;
    replays.set(
      partition,
      markedReplay(scope, partition, target, marks.get(partition), inputRanges, committed),
    );
  }

  const rewrites = await readRewrites(adapter, admin, scope, [...replays.values()]);
  const lags = await admin.topicConfigs(
    scope.changelogs.map((c) => c.topic),
    [CHANGELOG_HISTORY_CONFIG],
  );
  // Once every value at the marks is read: compaction cannot have removed one before now.
  const now = scope.now();
  const work = new Map<number, TaskWork>();
  for (const replay of replays.values()) {
    if (replay.status === 'refused' || replay.mark === undefined) continue;
    const stores = rewrites.get(replay.partition) ?? new Map<string, ChangelogRead>();
    const task = rewrittenReplay(scope, replay, stores, lags, committed, now);
    if (task !== undefined) work.set(replay.partition, task);
  }
  return { partitions: [...replays.values()], work };
}

/**
 * A partition's replay with its mark chosen (the latest at or before the target), or refused: no
 * mark, or the input from the mark gone.
 */
function markedReplay(
  scope: ReplayScope,
  partition: number,
  target: Record<string, number>,
  marks: readonly StoredMark[] | undefined,
  inputRanges: ReadonlyMap<string, { start: number; end: number }>,
  committed: ReadonlyMap<string, { offset: number; metadata: string | null }>,
): PartitionReplay {
  const replay: PartitionReplay = {
    partition,
    task: formatTaskId(taskIdFor(partition)),
    status: 'to do',
    target,
    committed: Object.fromEntries(
      scope.streamTopics.map((topic) => [topic, committed.get(tpKey({ topic, partition }))?.offset ?? null]),
    ),
    reprocess: 0,
    stores: [],
  };
  if (marks === undefined) {
    refuse(
      replay,
      `no state marks: ${stateMarksTopicFor(scope.applicationId)} does not exist (instances write them with exactly-once)`,
    );
    return replay;
  }
  const stored = chooseMark(marks, target, scope.streamTopics);
  if (stored === undefined) {
    const at = scope.streamTopics.map((t) => `offset ${target[t]} of ${t}`).join(', ');
    refuse(
      replay,
      `no state mark at or before ${at} (${marks.length} marks kept; marks are written with exactly-once, every stateMarkIntervalMs, and kept for the replay horizon)`,
    );
    return replay;
  }
  const { mark } = stored;
  replay.mark = {
    offset: stored.offset,
    wallClockMs: mark.wallClockMs,
    streamTimeMs: mark.streamTimeMs,
    inputs: { ...mark.inputs },
    changelogs: { ...mark.changelogs },
  };
  for (const topic of scope.streamTopics) {
    const range = inputRanges.get(tpKey({ topic, partition })) ?? { start: 0, end: 0 };
    const from = mark.inputs[topic] as number;
    if (from < range.start) {
      refuse(
        replay,
        `${topic}-${partition} starts at offset ${range.start} (retention deleted the rest), after the mark's ${from}: the input to reprocess is gone`,
      );
    }
    replay.reprocess += Math.max(0, range.end - from);
  }
  return replay;
}

/**
 * What a marked partition's replay commits, once its changelogs are read: the records that put
 * each store back to the mark and the offsets at the mark. Undefined, and the replay refused, when
 * a changelog no longer holds the mark's state; the replay is "nothing to do" when it is already
 * at its mark (a re-run after it was applied).
 */
function rewrittenReplay(
  scope: ReplayScope,
  replay: PartitionReplay,
  stores: ReadonlyMap<string, ChangelogRead>,
  lags: ReadonlyMap<string, Record<string, string>>,
  committed: ReadonlyMap<string, { offset: number; metadata: string | null }>,
  now: number,
): TaskWork | undefined {
  const records: TaskWork['records'] = [];
  const problems: string[] = [];
  for (const [store, read] of stores) {
    const { changelog, rewrite, markOffset, end } = read;
    const lagMs = Number(lags.get(changelog)?.[CHANGELOG_HISTORY_CONFIG] ?? 0);
    const problem =
      rangeProblem(`${changelog}-${replay.partition}`, read) ??
      historyProblem(changelog, lagMs, rewrite.oldestAfterMarkMs, now);
    if (problem !== undefined) problems.push(problem);
    const back = rewrite.records();
    replay.stores.push({
      store,
      changelog,
      markOffset,
      end,
      keysChanged: rewrite.changedKeys,
      rewrite: back.length,
    });
    records.push(...back.map((r) => ({ ...r, topic: changelog, partition: replay.partition })));
  }
  if (problems.length > 0) {
    refuse(replay, problems[0] as string);
    return undefined;
  }
  const offsets = offsetsAtMark(scope, replay, committed);
  const atMark = records.length === 0 && offsets.every((o) => sameCommitted(o, committed.get(tpKey(o))));
  if (atMark) replay.status = 'nothing to do';
  return { records, offsets };
}

/**
 * Applies each planned task's replay in one transaction of the task's own commit unit (opened, and
 * so fencing the task, before the plan was made): the changelog records that put its stores back
 * to the mark and the group's offsets at the mark commit together or not at all.
 *
 * Why this order is safe to interrupt: nothing is visible until a task's transaction commits, and
 * then both halves are. An interruption before leaves that task untouched (its open transaction is
 * aborted by the next holder of the id, or times out); one between two tasks leaves some replayed
 * and others not, each consistent on its own. A re-run plans again from the marks: a task already
 * replayed (and not run since) is at its mark, with nothing to write: "nothing to do"; the others
 * are done then. Had the halves been separate steps, an instance starting between them would have
 * run either old offsets over the mark's state (every change since the mark lost) or the mark's
 * offsets over today's state (a replay that changes nothing, and marks that no longer hold).
 */
export async function applyReplays(plan: ReplayPlan, units: ReadonlyMap<number, CommitUnit>): Promise<void> {
  for (const replay of plan.partitions) {
    if (replay.status !== 'to do') continue;
    const work = plan.work.get(replay.partition) as TaskWork;
    const unit = units.get(replay.partition);
    if (unit === undefined) throw new Error(`task ${replay.task} has no commit unit open`);
    const outgoing = unit.outgoing();
    for (const record of work.records) outgoing.add(record);
    await unit.commit(outgoing, work.offsets);
    replay.status = 'done';
  }
}

/** A changelog partition that no longer holds the mark's offsets: recreated, or trimmed. */
function rangeProblem(partition: string, read: ChangelogRead): string | undefined {
  if (read.end < read.markOffset) {
    return `${partition} ends at offset ${read.end}, before the mark's ${read.markOffset}: it was recreated since the mark (an application reset?)`;
  }
  if (read.start > read.markOffset) {
    return `${partition} starts at offset ${read.start}, after the mark's ${read.markOffset}: records the mark needs were deleted`;
  }
  return undefined;
}

function refuse(replay: PartitionReplay, reason: string): void {
  if (replay.status === 'refused') return; // the first reason is the one to act on
  replay.status = 'refused';
  replay.reason = reason;
}

/** Each partition's marks, in the order written; a partition is absent when the topic is. */
async function readMarks(
  adapter: KafkaClientAdapter,
  admin: AdminClient,
  applicationId: string,
  partitions: readonly number[],
): Promise<Map<number, StoredMark[]>> {
  const topic = stateMarksTopicFor(applicationId);
  const marks = new Map<number, StoredMark[]>();
  if ((await admin.partitionCounts([topic])).get(topic) === undefined) return marks;
  for (const partition of partitions) marks.set(partition, []);
  const task = new Map(partitions.map((p) => [p, formatTaskId(taskIdFor(p))]));
  await readPartitionsToEnd(
    adapter,
    partitions.map((partition) => ({ topic, partition })),
    (record) => {
      const mark = decodeStateMark(record.value);
      // A mark of another task here would be a bug; skipping it keeps the replay to its own task.
      if (mark === undefined || mark.task !== task.get(record.partition)) return;
      marks.get(record.partition)?.push({ offset: record.offset, mark });
    },
  );
  return marks;
}

/**
 * Per partition and store, the rewrite back to the mark: the changelogs read after their marks
 * (to their end now), then before them, for the keys changed since only.
 */
async function readRewrites(
  adapter: KafkaClientAdapter,
  admin: AdminClient,
  scope: ReplayScope,
  replays: readonly PartitionReplay[],
): Promise<Map<number, Map<string, ChangelogRead>>> {
  const marked = replays.filter((r) => r.status !== 'refused' && r.mark !== undefined);
  const tps: TopicPartition[] = marked.flatMap((r) =>
    scope.changelogs.map((c) => ({ topic: c.topic, partition: r.partition })),
  );
  const ranges = await admin.offsetRange(tps);
  const result = new Map<number, Map<string, ChangelogRead>>();
  const byTp = new Map<string, ChangelogRewrite>();
  const after: Array<TopicPartition & { from: number; to: number }> = [];
  const before: Array<TopicPartition & { from: number; to: number }> = [];
  for (const replay of marked) {
    const stores = new Map<string, ChangelogRead>();
    result.set(replay.partition, stores);
    for (const { store, topic } of scope.changelogs) {
      const tp = { topic, partition: replay.partition };
      const range = ranges.get(tpKey(tp)) ?? { start: 0, end: 0 };
      // A changelog the mark does not name was empty then (the store was added since, say).
      const markOffset = replay.mark?.changelogs[topic] ?? 0;
      const rewrite = new ChangelogRewrite();
      byTp.set(tpKey(tp), rewrite);
      stores.set(store, { changelog: topic, rewrite, markOffset, start: range.start, end: range.end });
      after.push({ ...tp, from: Math.max(markOffset, range.start), to: range.end });
      before.push({ ...tp, from: range.start, to: Math.min(markOffset, range.end) });
    }
  }
  await readRanges(adapter, after, (record) => byTp.get(tpKey(record))?.afterMark(record));
  // Only where keys changed after the mark are the values at the mark of any use.
  const needed = before.filter((range) => (byTp.get(tpKey(range))?.changedKeys ?? 0) > 0);
  await readRanges(adapter, needed, (record) => byTp.get(tpKey(record))?.beforeMark(record));
  return result;
}

/**
 * The offsets a task's replay commits: each stream input at the mark, each table input where it
 * is (when committed), all with the mark's stream time, which the task starts from (the largest
 * of what its inputs carry: a table's must not keep today's).
 */
function offsetsAtMark(
  scope: ReplayScope,
  replay: PartitionReplay,
  committed: ReadonlyMap<string, { offset: number; metadata: string | null }>,
): TopicPartitionOffset[] {
  const mark = replay.mark as NonNullable<PartitionReplay['mark']>;
  const metadata = encodeCommitMetadata({ streamTime: mark.streamTimeMs });
  const partition = replay.partition;
  const streams = scope.streamTopics.map((topic) => ({
    topic,
    partition,
    offset: mark.inputs[topic] as number,
    metadata,
  }));
  const tables = scope.tableTopics.flatMap((topic) => {
    const now = committed.get(tpKey({ topic, partition }));
    return now === undefined ? [] : [{ topic, partition, offset: now.offset, metadata }];
  });
  return [...streams, ...tables];
}

function sameCommitted(
  wanted: TopicPartitionOffset,
  now: { offset: number; metadata: string | null } | undefined,
): boolean {
  if (now === undefined || now.offset !== wanted.offset) return false;
  return decodeCommitMetadata(now.metadata)?.streamTime === decodeCommitMetadata(wanted.metadata)?.streamTime;
}
