/**
 * The group's assignment as operators read it (pure): who runs what now — from the members'
 * assignments and subscriptions as the coordinator describes them — and what the next rebalance
 * would hand out, planned by the same code the group's leader runs (processor/assignment/).
 */
import {
  decodeAssignment,
  decodeSubscription,
  encodeInfo,
  type AssignorSettings,
} from '../../processor/assignment/assignment-info.ts';
import {
  DEFAULT_ASSIGNOR_SETTINGS,
  planGroup,
  type GroupPlan,
} from '../../processor/assignment/group-plan.ts';
import type { GroupDescription } from '../../processor/kafka/client.ts';

export interface MemberAssignmentView {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  /** The instance the member (a stream thread) belongs to. */
  readonly instance: string;
  /** An operator's probe (`saldo rebalance`), not a stream thread. */
  readonly operator: boolean;
  /** The instance's query endpoint ("host:port"), when it serves queries. */
  readonly endpoint?: string;
  readonly draining: boolean;
  readonly active: number[];
  readonly standby: number[];
  readonly warmup: number[];
  /** Per standby task, the changelog records it was behind at its last join (its restore progress). */
  readonly standbyLag: Record<string, number>;
}

const byNumber = (a: number, b: number) => a - b;

export function currentAssignment(
  group: GroupDescription,
  taskEndOffsetSums: ReadonlyMap<number, number>,
): MemberAssignmentView[] {
  return group.members.map((m) => {
    const subscription = decodeSubscription(m.memberId, m.subscriptionUserData);
    const info = decodeAssignment(m.assignmentUserData);
    const active = [...new Set(Object.values(m.assignment).flat())].sort(byNumber);
    const base = { memberId: m.memberId, clientId: m.clientId, host: m.host, active };
    if (subscription.kind === 'operator') {
      return {
        ...base,
        instance: '(operator)',
        operator: true,
        draining: false,
        standby: [],
        warmup: [],
        standbyLag: {},
      };
    }
    const standbyLag: Record<string, number> = {};
    for (const t of info.standby) {
      const end = taskEndOffsetSums.get(t);
      const sum = subscription.subscription.taskOffsetSums.get(t);
      if (end !== undefined && sum !== undefined) standbyLag[String(t)] = Math.max(0, end - sum);
    }
    return {
      ...base,
      ...(subscription.endpoint === undefined ? {} : { endpoint: subscription.endpoint }),
      instance: subscription.subscription.processId,
      operator: false,
      draining: info.drain || subscription.subscription.draining,
      standby: [...info.standby].sort(byNumber),
      warmup: [...info.warmup].sort(byNumber),
      standbyLag,
    };
  });
}

/** The assignor settings the members run with (they carry them), or the defaults. */
export function groupSettings(group: GroupDescription): AssignorSettings {
  for (const m of group.members) {
    const decoded = decodeSubscription(m.memberId, m.subscriptionUserData);
    if (decoded.kind === 'member' && decoded.settings) return decoded.settings;
  }
  return DEFAULT_ASSIGNOR_SETTINGS;
}

/** What the leader would hand out if the group rebalanced now, with these instances drained. */
export function plannedAssignment(
  group: GroupDescription,
  partitionCount: number,
  taskEndOffsetSums: ReadonlyMap<number, number>,
  change: { drain?: readonly string[]; undrain?: readonly string[] } = {},
): GroupPlan {
  const members = group.members.map((m) => ({ memberId: m.memberId, userData: m.subscriptionUserData }));
  if ((change.drain?.length ?? 0) > 0 || (change.undrain?.length ?? 0) > 0) {
    members.push({
      memberId: '(this rebalance)',
      userData: encodeInfo({
        operator: true,
        drain: [...(change.drain ?? [])],
        undrain: [...(change.undrain ?? [])],
      }),
    });
  }
  return planGroup(members, partitionCount, taskEndOffsetSums, groupSettings(group));
}
