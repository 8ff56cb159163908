/**
 * From the group's members as the coordinator hands them to the leader (id and user data) to every
 * member's assignment: decodes the subscriptions, applies operators' drain requests, runs the task
 * assignor and encodes what each member needs to know. The kafkajs assigner runs it on the leader;
 * `saldo rebalance` runs it on what describeGroup shows, to say what the next rebalance would do.
 */
import {
  decodeSubscription,
  type AssignmentInfo,
  type AssignorSettings,
  type PlannedMember,
} from './assignment-info.ts';
import { assignTasks, type AssignmentPlan, type MemberSubscription } from './task-assignor.ts';

export interface GroupMemberData {
  memberId: string;
  userData: Buffer | null | undefined;
}

export interface GroupPlan {
  readonly plan: AssignmentPlan;
  /** Per member (operators included), its assignment's user data. */
  readonly assignments: Map<string, AssignmentInfo>;
  /** Members that are operators' probes. */
  readonly operators: string[];
  /** Instances drained from this generation on. */
  readonly draining: string[];
  readonly summary: Record<string, PlannedMember>;
}

export const DEFAULT_ASSIGNOR_SETTINGS: AssignorSettings = {
  numStandbyReplicas: 1,
  acceptableRecoveryLag: 10_000,
  maxWarmupReplicas: 2,
};

export function planGroup(
  members: readonly GroupMemberData[],
  partitionCount: number,
  taskEndOffsetSums: ReadonlyMap<number, number>,
  settings: AssignorSettings,
): GroupPlan {
  const subscriptions: MemberSubscription[] = [];
  const endpoints = new Map<string, string>();
  const operators: string[] = [];
  const drain = new Set<string>();
  const undrain = new Set<string>();
  for (const m of members) {
    const decoded = decodeSubscription(m.memberId, m.userData);
    if (decoded.kind === 'operator') {
      operators.push(m.memberId);
      for (const p of decoded.drain) drain.add(p);
      for (const p of decoded.undrain) undrain.add(p);
      continue;
    }
    subscriptions.push(decoded.subscription);
    if (decoded.endpoint !== undefined) endpoints.set(m.memberId, decoded.endpoint);
  }
  const draining = new Set<string>();
  for (const s of subscriptions) {
    if ((s.draining || drain.has(s.processId)) && !undrain.has(s.processId)) draining.add(s.processId);
  }
  const effective = subscriptions.map((s) => ({ ...s, draining: draining.has(s.processId) }));
  const plan = assignTasks(effective, {
    partitionCount,
    taskEndOffsetSums,
    numStandbyReplicas: settings.numStandbyReplicas,
    acceptableRecoveryLag: settings.acceptableRecoveryLag,
    maxWarmupReplicas: settings.maxWarmupReplicas,
  });

  const activeEndpoints: Record<string, string> = {};
  for (const [task, owner] of plan.owners) {
    const endpoint = endpoints.get(owner);
    if (endpoint !== undefined) activeEndpoints[String(task)] = endpoint;
  }
  const summary: Record<string, PlannedMember> = {};
  const assignments = new Map<string, AssignmentInfo>();
  for (const s of effective) {
    const tasks = plan.members.get(s.memberId) ?? { active: [], standby: [], warmup: [] };
    summary[s.memberId] = { processId: s.processId, ...tasks };
    assignments.set(s.memberId, {
      standby: tasks.standby,
      warmup: tasks.warmup,
      activeEndpoints,
      drain: s.draining,
    });
  }
  for (const id of operators) {
    assignments.set(id, { standby: [], warmup: [], activeEndpoints, drain: false, plan: summary });
  }
  return { plan, assignments, operators, draining: [...draining].sort(), summary };
}

/** Per task, the sum of its changelogs' end offsets (partition p of each changelog topic). */
export function taskEndOffsetSums(
  endOffsets: ReadonlyMap<string, number>,
  changelogTopics: readonly string[],
  partitionCount: number,
): Map<number, number> {
  const sums = new Map<number, number>();
  if (changelogTopics.length === 0) return sums;
  for (let p = 0; p < partitionCount; p++) {
    let sum = 0;
    for (const topic of changelogTopics) sum += endOffsets.get(`${topic}:${p}`) ?? 0;
    sums.set(p, sum);
  }
  return sums;
}
