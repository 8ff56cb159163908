import { validateStreamsConfig, type StreamsConfig } from '../../processor/index.ts';
import { changelogTopicFor } from '../../processor/internal-topics.ts';
import type { AdminClient, CommitUnit } from '../../processor/kafka/client.ts';
import type { KafkaJsAdapter } from '../../processor/kafka/kafkajs/index.ts';
import { formatTaskId, taskIdFor } from '../../processor/task-id.ts';
import { kafkaStartSources } from '../../processor/task-factory.ts';
import type { Topology } from '../../processor/topology.ts';
import { topologyByName } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { operatorAdapter } from '../operator-adapter.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import {
  parsePartitions,
  parseReplayFrom,
  ReplayArgumentError,
  type ReplayFrom,
} from '../replay/replay-target.ts';
import { applyReplays, planReplays, type PartitionReplay, type ReplayScope } from '../replay/task-replays.ts';
import { ActiveMembersError } from './reset.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export interface ReplayFlags extends RunFlags, ProductFlags, TopologyFlags {
  from?: string;
  fromOffset?: string;
  partitions?: string;
  yes?: boolean;
  force?: boolean;
  json?: boolean;
}

export interface ReplayReport {
  readonly applicationId: string;
  /** `--from` as an ISO time, or undefined with --from-offset. */
  readonly from?: string;
  readonly activeMembers: string[];
  readonly partitions: PartitionReplay[];
  /** False when only the plan was made (no --yes). */
  readonly applied: boolean;
}

/** A replay that cannot be done as asked; nothing was changed. The message says why, per partition. */
export class ReplayRefusedError extends Error {
  readonly report: ReplayReport | undefined;
  constructor(message: string, report?: ReplayReport) {
    super(message);
    this.name = 'ReplayRefusedError';
    this.report = report;
  }
}

/**
 * `saldo replay --from <time> | --from-offset <offsets> [--partitions …]`: reprocesses the input of
 * the chosen partitions from a state mark at or before the point asked for, with every store put
 * back to its state at that mark (processor/state-marks.ts; the changelogs keep that state for the
 * replay horizon). For each task: the changelog records that restore its stores to the mark and
 * the group's offsets at the mark commit in one transaction of the task's own transactional id, so
 * the instances, when they start, restore the mark's state and reprocess from there: same input,
 * same state, the same balances and alert ids. Table inputs stay where they are (their topics are
 * read to the end when a task starts): limits in force now apply to the replayed transactions.
 *
 * The plan first; it acts only with --yes, refuses while the group has active members unless
 * --force, and applies nothing if any partition is refused. Safe to re-run: see applyReplays().
 */
export async function replayCommand(flags: ReplayFlags): Promise<ReplayReport> {
  const from = parseReplayFrom(flags.from, flags.fromOffset);
  const config = validateStreamsConfig(streamsConfigFrom(process.env, flags));
  if (config.processingGuarantee !== 'exactly-once') {
    throw new ReplayRefusedError(
      'saldo replay needs exactly-once processing: only then do the tasks write state marks, each in the transaction of the commit it follows, and fence older holders of the task (set SALDO_PROCESSING_GUARANTEE=exactly-once, the default)',
    );
  }
  const appId = config.applicationId;
  const topology = topologyByName(topologySpecFrom(flags, () => productConfigFrom(process.env, flags)));
  const scope = replayScopeOf(appId, topology);
  const adapter = operatorAdapter(config, 'replay');
  const units = new Map<number, CommitUnit>();
  try {
    const admin = await adapter.admin();
    const group = await admin.describeGroup(appId);
    const activeMembers = group.members.map((m) => m.clientId);
    const targets = await targetsOf(admin, scope, from, flags.partitions);
    const base = {
      applicationId: appId,
      ...(from.kind === 'time' ? { from: new Date(from.timestampMs).toISOString() } : {}),
      activeMembers,
    };
    if (flags.yes === true) {
      if (activeMembers.length > 0 && flags.force !== true)
        throw new ActiveMembersError(appId, activeMembers);
      // Fence every task first (an instance still holding one, or a frozen one that could wake and
      // commit): from here on nothing but this replay writes their changelogs or offsets.
      for (const partition of targets.keys())
        units.set(partition, await openTaskUnit(config, adapter, admin, partition));
    }
    const plan = await planReplays(adapter, admin, scope, targets);
    const report: ReplayReport = { ...base, partitions: plan.partitions, applied: false };
    if (flags.yes !== true) return report;
    const refused = plan.partitions.filter((p) => p.status === 'refused');
    if (refused.length > 0) {
      throw new ReplayRefusedError(
        `nothing replayed: ${refused.map((p) => `partition ${p.partition}: ${p.reason}`).join('; ')}`,
        report,
      );
    }
    await applyReplays(plan, units);
    return { ...report, applied: true };
  } finally {
    for (const unit of units.values()) await unit.close().catch(() => undefined);
    await adapter.close();
  }
}

/** The topology's inputs and changelogs, as the replay sees them. */
function replayScopeOf(applicationId: string, topology: Topology): ReplayScope {
  const tableTopics = [...topology.tables.values()].map((t) => t.topic);
  return {
    applicationId,
    streamTopics: topology.sourceTopics.filter((t) => !tableTopics.includes(t)),
    tableTopics,
    changelogs: topology.storeSpecs
      .filter((s) => s.logged !== false)
      .map((s) => ({ store: s.name, topic: changelogTopicFor(applicationId, s.name) })),
    now: () => Date.now(),
  };
}

/** Per chosen partition, the offset of each stream input to replay from (at most). */
async function targetsOf(
  admin: AdminClient,
  scope: ReplayScope,
  from: ReplayFrom,
  partitionsFlag: string | undefined,
): Promise<Map<number, Record<string, number>>> {
  const first = scope.streamTopics[0];
  if (first === undefined) throw new ReplayArgumentError('the topology has no stream input to replay');
  const count = (await admin.partitionCounts([first])).get(first);
  if (count === undefined) throw new ReplayArgumentError(`input topic ${first} does not exist`);
  const partitions = parsePartitions(partitionsFlag, count, from);
  const targets = new Map<number, Record<string, number>>(partitions.map((p) => [p, {}]));
  if (from.kind === 'time') {
    for (const topic of scope.streamTopics) {
      const offsets = await admin.offsetsForTime(topic, from.timestampMs);
      for (const [partition, target] of targets) target[topic] = offsets.get(partition) ?? 0;
    }
    return targets;
  }
  if (scope.streamTopics.length > 1) {
    throw new ReplayArgumentError(
      `--from-offset names one input's offsets; this topology has ${scope.streamTopics.length} stream inputs: use --from <time>`,
    );
  }
  for (const [partition, target] of targets) {
    target[first] = 'all' in from.offsets ? from.offsets.all : (from.offsets.get(partition) as number);
  }
  return targets;
}

/** The task's own commit unit: opening it fences any other holder of the task. */
function openTaskUnit(
  config: StreamsConfig,
  adapter: KafkaJsAdapter,
  admin: AdminClient,
  partition: number,
): Promise<CommitUnit> {
  return kafkaStartSources(config, adapter, admin, formatTaskId(taskIdFor(partition))).openCommitUnit();
}

/** The plan or what was done, for people. */
export function formatReplayReport(report: ReplayReport): string {
  const from = report.from === undefined ? 'the offsets given' : report.from;
  const lines = [
    `replay of ${report.applicationId} from ${from}${report.applied ? '' : ' (plan: nothing done; --yes applies it)'}`,
  ];
  if (report.activeMembers.length > 0) lines.push(`  active members: ${report.activeMembers.join(', ')}`);
  for (const p of report.partitions) {
    const head = `  partition ${p.partition} (task ${p.task})`;
    if (p.status === 'refused' || p.mark === undefined) {
      lines.push(`${head}  refused: ${p.reason ?? 'no mark'}`);
      continue;
    }
    const mark = p.mark;
    lines.push(
      `${head}  ${p.status}: from its mark written at ${new Date(mark.wallClockMs).toISOString()}, stream time ${streamTime(mark.streamTimeMs)}`,
    );
    for (const [topic, offset] of Object.entries(p.committed)) {
      lines.push(
        `    ${topic}: committed ${offset ?? 'none'} → ${mark.inputs[topic]} (the offset asked for: ${p.target[topic]})`,
      );
    }
    lines.push(`    ${p.reprocess} record(s) to reprocess once the instances start`);
    const stores = p.stores.map((s) => `${s.store} ${s.rewrite}/${s.keysChanged}`).join(', ');
    lines.push(`    keys put back to the mark, of those written since: ${stores || 'none'}`);
  }
  return `${lines.join('\n')}\n`;
}

function streamTime(ms: number): string {
  return ms < 0 ? 'none' : new Date(ms).toISOString();
}
