/**
 * What `saldo status` reports about an application, built from what Kafka says (pure: the command
 * gathers the inputs through the Kafka boundary): the consumer group's state, each member and the
 * tasks it runs, the input lag per partition and the dead-letter topic's size.
 */
import { formatTaskId, taskIdFor } from '../../processor/task-id.ts';
import { currentAssignment } from '../rebalance/group-assignment.ts';
import type { GroupDescription } from '../../processor/kafka/client.ts';
import { tpKey, type TopicPartition } from '../../processor/records.ts';

export interface MemberStatus {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  /** The instance the member (a stream thread) belongs to; `(operator)` for a rebalance probe. */
  readonly instance: string;
  readonly draining: boolean;
  /** Task ids (`0_<partition>`): a member gets partition p of every input, hence task 0_p. */
  readonly activeTasks: string[];
  /** Tasks whose state it keeps warm, and those of them it is warming up to take over. */
  readonly standbyTasks: string[];
  readonly warmupTasks: string[];
  /** Per standby task, the changelog records it was behind at its last join: its restore progress. */
  readonly standbyLag: Record<string, number>;
  /**
   * Its active tasks still restoring, with the records left (from the instance's /metrics); null
   * when unknown: the instance serves no queries, or did not answer.
   */
  readonly restoring: Record<string, number> | null;
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset; null when nothing was committed yet. */
  readonly committed: number | null;
  readonly logStart: number;
  /** The end a read_committed reader sees (the last stable offset). */
  readonly end: number;
  /** Records from the committed offset (or the log start) to the end. */
  readonly lag: number;
  /** The task that owns the partition now, if any member has it. */
  readonly task: string | null;
}

export interface AppStatus {
  readonly applicationId: string;
  readonly group: { readonly state: string; readonly members: MemberStatus[] };
  readonly inputs: PartitionLag[];
  /** Input topics the broker does not have. */
  readonly missingInputs: string[];
  readonly totalLag: number;
  readonly deadLetters: { readonly topic: string; readonly records: number; readonly exists: boolean };
}

export interface StatusInputs {
  readonly applicationId: string;
  readonly group: GroupDescription;
  readonly inputPartitions: readonly TopicPartition[];
  readonly missingInputs: readonly string[];
  readonly committed: ReadonlyMap<string, { offset: number }>;
  readonly ranges: ReadonlyMap<string, { start: number; end: number }>;
  readonly deadLetterTopic: string;
  /** The records on the dead-letter topic; undefined when the topic does not exist. */
  readonly deadLetterRecords: number | undefined;
  /** Per task, the sum of its changelogs' end offsets (to tell how far behind standbys are). */
  readonly taskEndOffsetSums: ReadonlyMap<number, number>;
  /** Per query endpoint, the restores under way there (instance-restores.ts); absent: not asked. */
  readonly restores?: ReadonlyMap<string, Record<string, number> | undefined>;
}

const taskIdOf = (partition: number) => formatTaskId(taskIdFor(partition));

export function appStatus(inputs: StatusInputs): AppStatus {
  const owners = new Map<number, string>();
  const members = currentAssignment(inputs.group, inputs.taskEndOffsetSums).map((m): MemberStatus => {
    for (const p of m.active) owners.set(p, taskIdOf(p));
    return {
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.host,
      instance: m.instance,
      draining: m.draining,
      activeTasks: m.active.map(taskIdOf),
      standbyTasks: m.standby.map(taskIdOf),
      warmupTasks: m.warmup.map(taskIdOf),
      standbyLag: Object.fromEntries(
        Object.entries(m.standbyLag).map(([p, lag]) => [taskIdOf(Number(p)), lag]),
      ),
      restoring: restoringOf(m.active.map(taskIdOf), m.endpoint, inputs.restores),
    };
  });
  const lags = inputs.inputPartitions.map((tp): PartitionLag => {
    const range = inputs.ranges.get(tpKey(tp)) ?? { start: 0, end: 0 };
    const committed = inputs.committed.get(tpKey(tp))?.offset ?? null;
    // Below the log start nothing is left to read: retention deleted it.
    const from = Math.max(committed ?? range.start, range.start);
    return {
      topic: tp.topic,
      partition: tp.partition,
      committed,
      logStart: range.start,
      end: range.end,
      lag: Math.max(0, range.end - from),
      task: owners.get(tp.partition) ?? null,
    };
  });
  return {
    applicationId: inputs.applicationId,
    group: { state: inputs.group.state, members },
    inputs: lags,
    missingInputs: [...inputs.missingInputs],
    totalLag: lags.reduce((sum, p) => sum + p.lag, 0),
    deadLetters: {
      topic: inputs.deadLetterTopic,
      records: inputs.deadLetterRecords ?? 0,
      exists: inputs.deadLetterRecords !== undefined,
    },
  };
}

/** A member's active tasks that its instance says are restoring; null when its instance was not heard. */
function restoringOf(
  active: readonly string[],
  endpoint: string | undefined,
  restores: StatusInputs['restores'],
): Record<string, number> | null {
  const there = endpoint === undefined ? undefined : restores?.get(endpoint);
  if (there === undefined) return null;
  return Object.fromEntries(
    active.filter((task) => there[task] !== undefined).map((task) => [task, there[task] as number]),
  );
}

/** The status as an operator reads it in a terminal. */
export function formatAppStatus(status: AppStatus): string {
  const lines = [
    `application ${status.applicationId}: group ${status.group.state}, ${status.group.members.length} member(s)`,
  ];
  const list = (tasks: string[]) => (tasks.length > 0 ? tasks.join(' ') : '(none)');
  for (const member of status.group.members) {
    const drain = member.draining ? ' (draining)' : '';
    lines.push(`  ${member.instance}${drain}  ${member.clientId} ${member.host}`);
    const restoring = Object.entries(member.restoring ?? {}).map(
      ([task, left]) => `${task} (${left} records left)`,
    );
    const restoringText = restoring.length > 0 ? `  restoring: ${restoring.join(' ')}` : '';
    lines.push(`    active:  ${list(member.activeTasks)}${restoringText}`);
    const warm = member.warmupTasks.length > 0 ? `  (warming up: ${member.warmupTasks.join(' ')})` : '';
    lines.push(`    standby: ${list(member.standbyTasks)}${warm}`);
    const lags = Object.entries(member.standbyLag).map(([task, lag]) => `${task}:${lag}`);
    if (lags.length > 0) lines.push(`    standby restore lag (records): ${lags.join(' ')}`);
  }
  lines.push('', 'input lag (read_committed end − committed offset):');
  lines.push('  topic partition  committed        end      lag  task');
  for (const p of status.inputs) {
    lines.push(
      `  ${p.topic} ${String(p.partition).padStart(3)}  ${String(p.committed ?? '-').padStart(9)} ${String(p.end).padStart(10)} ${String(p.lag).padStart(8)}  ${p.task ?? '-'}`,
    );
  }
  lines.push(`  total lag ${status.totalLag}`);
  for (const topic of status.missingInputs) lines.push(`  input topic ${topic} does not exist`);
  const dlq = status.deadLetters;
  lines.push(
    '',
    `dead letters: ${dlq.exists ? `${dlq.records} in ${dlq.topic}` : `${dlq.topic} does not exist yet`}`,
  );
  return `${lines.join('\n')}\n`;
}
