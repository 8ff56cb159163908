/**
 * What members and the assignor tell each other through the group protocol's user data (Kafka
 * Streams' SubscriptionInfo and AssignmentInfo): JSON, versioned, and read leniently — a member
 * that sends something unreadable (an older version, say) is treated as one with no state.
 */
import type { MemberSubscription } from './task-assignor.ts';

export const ASSIGNMENT_INFO_VERSION = 2;

/** The assignor's settings, carried by every member so that an operator's tool plans as the leader does. */
export interface AssignorSettings {
  numStandbyReplicas: number;
  acceptableRecoveryLag: number;
  maxWarmupReplicas: number;
}

/** A stream thread's subscription user data. */
export interface SubscriptionInfo {
  /** The instance this thread belongs to. */
  processId: string;
  /** The instance's interactive-query endpoint ("host:port"), when it serves queries. */
  endpoint?: string;
  active: number[];
  standby: number[];
  /** Per task with open state (a standby): the sum of its stores' changelog checkpoints. */
  taskOffsetSums: Record<string, number>;
  draining: boolean;
  settings: AssignorSettings;
  /** Rejoins this member asked for: a rejoin always changes the subscription, so the group rebalances. */
  rejoins: number;
}

/** An operator's probe (`saldo rebalance`): joins to trigger a rebalance, gets no task. */
export interface OperatorInfo {
  operator: true;
  /** Instances (process ids) to drain from now on; `undrain` lifts a drain. */
  drain: string[];
  undrain: string[];
}

/** A member's assignment user data. */
export interface AssignmentInfo {
  standby: number[];
  /** The standbys meant to take over their task once caught up (a probing rebalance then moves it). */
  warmup: number[];
  /** Per partition, the query endpoint of the instance running its active task (if it serves queries). */
  activeEndpoints: Record<string, string>;
  /** This member's instance is being drained: it says so in its next subscriptions. */
  drain: boolean;
  /** The generation's whole plan, for an operator's probe (empty for stream threads). */
  plan?: Record<string, PlannedMember>;
}

export interface PlannedMember {
  processId: string;
  active: number[];
  standby: number[];
  warmup: number[];
}

export const encodeInfo = (info: SubscriptionInfo | OperatorInfo | AssignmentInfo): Buffer =>
  Buffer.from(JSON.stringify({ v: ASSIGNMENT_INFO_VERSION, ...info }));

function parse(data: Buffer | null | undefined): Record<string, unknown> | undefined {
  if (!data || data.length === 0) return undefined;
  try {
    // Buffer.from: a Buffer that crossed a thread arrives as a plain Uint8Array.
    const value: unknown = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString());
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const tasks = (value: unknown): number[] =>
  Array.isArray(value) ? value.filter((p): p is number => Number.isInteger(p) && p >= 0) : [];
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
const counts = (value: unknown): Map<number, number> => {
  const out = new Map<number, number>();
  if (value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) {
    const task = Number(k);
    if (Number.isInteger(task) && task >= 0 && typeof v === 'number' && Number.isFinite(v)) out.set(task, v);
  }
  return out;
};

export type DecodedSubscription =
  | { kind: 'member'; subscription: MemberSubscription; endpoint?: string; settings?: AssignorSettings }
  | { kind: 'operator'; drain: string[]; undrain: string[] };

/** A member's subscription; version 1 (`{owned}`) reads as a thread of an instance of its own. */
export function decodeSubscription(memberId: string, data: Buffer | null | undefined): DecodedSubscription {
  const raw = parse(data) ?? {};
  if (raw.operator === true)
    return { kind: 'operator', drain: strings(raw.drain), undrain: strings(raw.undrain) };
  const settings = raw.settings as Partial<AssignorSettings> | undefined;
  return {
    kind: 'member',
    subscription: {
      memberId,
      processId: typeof raw.processId === 'string' && raw.processId !== '' ? raw.processId : memberId,
      active: tasks(raw.active ?? raw.owned),
      standby: tasks(raw.standby),
      taskOffsetSums: counts(raw.taskOffsetSums),
      draining: raw.draining === true,
    },
    ...(typeof raw.endpoint === 'string' ? { endpoint: raw.endpoint } : {}),
    ...(settings &&
    Number.isInteger(settings.numStandbyReplicas) &&
    Number.isInteger(settings.acceptableRecoveryLag) &&
    Number.isInteger(settings.maxWarmupReplicas)
      ? { settings: settings as AssignorSettings }
      : {}),
  };
}

export function decodeAssignment(data: Buffer | null | undefined): AssignmentInfo {
  const raw = parse(data) ?? {};
  const endpoints: Record<string, string> = {};
  if (raw.activeEndpoints !== null && typeof raw.activeEndpoints === 'object') {
    for (const [k, v] of Object.entries(raw.activeEndpoints)) if (typeof v === 'string') endpoints[k] = v;
  }
  const plan: Record<string, PlannedMember> = {};
  if (raw.plan !== null && typeof raw.plan === 'object') {
    for (const [memberId, value] of Object.entries(raw.plan as Record<string, Record<string, unknown>>)) {
      plan[memberId] = {
        processId: typeof value.processId === 'string' ? value.processId : memberId,
        active: tasks(value.active),
        standby: tasks(value.standby),
        warmup: tasks(value.warmup),
      };
    }
  }
  return {
    standby: tasks(raw.standby),
    warmup: tasks(raw.warmup),
    activeEndpoints: endpoints,
    drain: raw.drain === true,
    ...(Object.keys(plan).length > 0 ? { plan } : {}),
  };
}
