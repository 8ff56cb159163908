import { setTimeout as sleep } from 'node:timers/promises';
import type { PlannedMember } from '../../processor/assignment/assignment-info.ts';
import { validateStreamsConfig } from '../../processor/index.ts';
import type { AdminClient, GroupDescription } from '../../processor/kafka/client.ts';
import { groupView } from '../rebalance/group-view.ts';
import { changelogTopicsOf } from '../../processor/internal-topics.ts';
import type { KafkaJsAdapter } from '../../processor/kafka/kafkajs/index.ts';
import type { Topology } from '../../processor/topology.ts';
import { topologyByName } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { operatorAdapter } from '../operator-adapter.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import {
  currentAssignment,
  groupSettings,
  plannedAssignment,
  type MemberAssignmentView,
} from '../rebalance/group-assignment.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export interface RebalanceFlags extends RunFlags, ProductFlags, TopologyFlags {
  /** Make the group rebalance now. */
  trigger?: boolean;
  /** Instances (process ids, as `--instance-id` named them) to move every task away from. */
  drain?: string[];
  /** Instances whose drain is lifted. */
  undrain?: string[];
  yes?: boolean;
  /** How long --drain waits for the instance to hand its last task over. */
  timeoutMs?: string;
  json?: boolean;
}

export type RebalanceOutcome =
  /** Only the plan was printed (no --yes, or nothing asked). */
  | 'planned'
  | 'rebalanced'
  /** --drain: the drained instances run no task any more. */
  | 'drained'
  /** --drain: the wait ran out while a drained instance still ran tasks. */
  | 'drain-timed-out';

export interface RebalanceReport {
  readonly applicationId: string;
  readonly groupState: string;
  readonly current: MemberAssignmentView[];
  /** What the next rebalance hands out (with the drain asked for, if any): member → tasks. */
  readonly planned: Record<string, PlannedMember>;
  readonly drain: string[];
  readonly undrain: string[];
  outcome: RebalanceOutcome;
  /** After --yes: the assignment once the group settled. */
  after?: MemberAssignmentView[];
}

/** Not a group this command can act on: nobody runs it. */
export class NoActiveMembersError extends Error {
  constructor(applicationId: string) {
    super(`group ${applicationId} has no active member: start an instance first (nothing to rebalance)`);
    this.name = 'NoActiveMembersError';
  }
}

const DEFAULT_DRAIN_TIMEOUT_MS = 120_000;
const POLL_MS = 500;

/**
 * `saldo rebalance`: the group's current assignment (active tasks, standbys, warm-ups and how far
 * behind each standby is) and the plan of the next rebalance; with --yes, a rebalance now
 * (--trigger), or a drain: `--drain <instance>` moves every task of that instance away (as any move:
 * to an instance that is caught up on its state, warming one up first if needed) and waits until
 * it runs none, for maintenance. `--undrain` lifts it; a restarted instance comes back undrained.
 */
export async function rebalanceCommand(flags: RebalanceFlags): Promise<RebalanceReport> {
  const config = validateStreamsConfig(streamsConfigFrom(process.env, flags));
  const appId = config.applicationId;
  const topology = topologyByName(topologySpecFrom(flags, () => productConfigFrom(process.env, flags)));
  const drain = flags.drain ?? [];
  const undrain = flags.undrain ?? [];
  const adapter = operatorAdapter(config, 'rebalance');
  try {
    const admin = await adapter.admin();
    const view = await groupView(admin, topology, appId);
    const report: RebalanceReport = {
      applicationId: appId,
      groupState: view.group.state,
      current: currentAssignment(view.group, view.taskEnds),
      planned: plannedAssignment(view.group, view.partitions, view.taskEnds, { drain, undrain }).summary,
      drain,
      undrain,
      outcome: 'planned',
    };
    const acting = flags.trigger === true || drain.length > 0 || undrain.length > 0;
    if (!acting || flags.yes !== true) return report;
    if (!report.current.some((m) => !m.operator)) throw new NoActiveMembersError(appId);
    const unknown = drain.filter((instance) => !report.current.some((m) => m.instance === instance));
    if (unknown.length > 0) {
      throw new Error(
        `no member of group ${appId} belongs to instance(s) ${unknown.join(', ')}; instances: ${[
          ...new Set(report.current.filter((m) => !m.operator).map((m) => m.instance)),
        ].join(', ')}`,
      );
    }
    await probe(adapter, topology, appId, view.group, drain, undrain);
    report.outcome = 'rebalanced';
    const timeoutMs = Number(flags.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    if (drain.length > 0) {
      report.outcome = (await waitForDrain(admin, topology, appId, drain, timeoutMs))
        ? 'drained'
        : 'drain-timed-out';
    }
    // The probe's leave rebalances the group once more: report the assignment once it has settled.
    const settled = await settledView(admin, topology, appId, timeoutMs);
    report.after = currentAssignment(settled.group, settled.taskEnds);
    return report;
  } finally {
    await adapter.close();
  }
}

/** Joins the group for a moment (a rebalance), carrying the drain requests to the leader. */
function probe(
  adapter: KafkaJsAdapter,
  topology: Topology,
  appId: string,
  group: GroupDescription,
  drain: string[],
  undrain: string[],
) {
  return adapter.probeGroup(
    appId,
    topology.sourceTopics,
    { operator: true, drain, undrain },
    { changelogTopics: changelogTopicsOf(appId, topology.storeSpecs), settings: groupSettings(group) },
  );
}

/** The group once it is Stable again without the probe (or as it is when the wait runs out). */
async function settledView(admin: AdminClient, topology: Topology, appId: string, timeoutMs: number) {
  const deadline = Date.now() + Math.min(timeoutMs, 30_000);
  for (;;) {
    const view = await groupView(admin, topology, appId);
    const probing = currentAssignment(view.group, view.taskEnds).some((m) => m.operator);
    if ((view.group.state === 'Stable' && !probing) || Date.now() > deadline) return view;
    await sleep(POLL_MS);
  }
}

/** Until no member of a drained instance runs an active task (warm-ups and probing rebalances move them). */
async function waitForDrain(
  admin: AdminClient,
  topology: Topology,
  appId: string,
  drain: string[],
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const view = await groupView(admin, topology, appId);
    const members = currentAssignment(view.group, view.taskEnds);
    const stable = view.group.state === 'Stable';
    const drained = members.filter((m) => drain.includes(m.instance));
    if (stable && drained.every((m) => m.active.length === 0 && m.draining)) return true;
    await sleep(POLL_MS);
  }
  return false;
}

const list = (tasks: readonly number[]) => (tasks.length > 0 ? tasks.map((t) => `0_${t}`).join(' ') : '-');

function formatMembers(members: readonly MemberAssignmentView[]): string[] {
  const lines: string[] = [];
  for (const m of [...members].sort((a, b) => a.instance.localeCompare(b.instance))) {
    if (m.operator) continue;
    const lags = Object.entries(m.standbyLag).map(([t, lag]) => `0_${t}:${lag}`);
    lines.push(
      `  ${m.instance}${m.draining ? ' (draining)' : ''}  ${m.clientId}`,
      `    active:  ${list(m.active)}`,
      `    standby: ${list(m.standby)}${m.warmup.length > 0 ? `  (warming up: ${list(m.warmup)})` : ''}`,
    );
    if (lags.length > 0) lines.push(`    standby lag (records): ${lags.join(' ')}`);
  }
  return lines;
}

export function formatRebalanceReport(report: RebalanceReport): string {
  const lines = [
    `application ${report.applicationId}: group ${report.groupState}`,
    '',
    'current assignment:',
  ];
  lines.push(...formatMembers(report.current));
  const what =
    report.drain.length > 0
      ? `planned, with ${report.drain.join(', ')} drained`
      : report.undrain.length > 0
        ? `planned, with the drain of ${report.undrain.join(', ')} lifted`
        : 'planned at the next rebalance';
  lines.push('', `${what}:`);
  for (const [memberId, m] of Object.entries(report.planned).sort(([, a], [, b]) =>
    a.processId.localeCompare(b.processId),
  )) {
    const warm = m.warmup.length > 0 ? `  (warm-up: ${list(m.warmup)})` : '';
    lines.push(
      `  ${m.processId} ${memberId}`,
      `    active: ${list(m.active)}  standby: ${list(m.standby)}${warm}`,
    );
  }
  switch (report.outcome) {
    case 'planned':
      lines.push(
        '',
        report.drain.length + report.undrain.length > 0 || report.after === undefined
          ? 'nothing done: pass --yes (with --trigger, --drain or --undrain) to rebalance'
          : '',
      );
      break;
    case 'rebalanced':
      lines.push('', 'rebalanced; assignment now:', ...formatMembers(report.after ?? []));
      break;
    case 'drained':
      lines.push(
        '',
        `drained: ${report.drain.join(', ')} run no task; assignment now:`,
        ...formatMembers(report.after ?? []),
      );
      break;
    case 'drain-timed-out':
      lines.push(
        '',
        `drain asked, but ${report.drain.join(', ')} still run tasks (no other instance caught up yet?); assignment now:`,
        ...formatMembers(report.after ?? []),
      );
      break;
  }
  return `${lines.join('\n')}\n`;
}
