import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { validateStreamsConfig } from '../../processor/index.ts';
import {
  changelogTopicsOf,
  deadLetterTopicFor,
  stateMarksTopicFor,
} from '../../processor/internal-topics.ts';
import { operatorAdapter } from '../operator-adapter.ts';
import { topologyByName } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export interface ResetFlags extends RunFlags, ProductFlags, TopologyFlags {
  yes?: boolean;
  force?: boolean;
  /** Also delete the dead-letter topic (kept by default: it is the evidence of bad input). */
  deleteDlq?: boolean;
  json?: boolean;
}

export type ResetStepStatus = 'to do' | 'done' | 'nothing to do';

export interface ResetStep {
  readonly step: 'committed offsets' | 'internal topics' | 'local state';
  /** The group, the topics or the directory the step removes. */
  readonly targets: string[];
  status: ResetStepStatus;
}

export interface ResetReport {
  readonly applicationId: string;
  readonly activeMembers: string[];
  readonly steps: ResetStep[];
  /** False when only the plan was printed (no --yes). */
  readonly applied: boolean;
}

/** The group still has members: resetting under a running app would corrupt what it does. */
export class ActiveMembersError extends Error {
  constructor(applicationId: string, members: string[]) {
    super(
      `group ${applicationId} has active members (${members.join(', ')}): stop every instance first, or pass --force`,
    );
    this.name = 'ActiveMembersError';
  }
}

/**
 * `saldo reset`: the application reset (as kafka-streams-application-reset): the group's committed
 * offsets (the group is deleted, so the inputs are read from their beginning again), the internal
 * topics (the stores' changelogs and the state marks; the dead-letter topic only with --delete-dlq) and this machine's
 * local state (`<state-dir>/<app-id>`; run it on every machine that ran an instance, or wipe their
 * volumes). The plan first; it acts only with --yes, and refuses while the group has active
 * members unless --force. Each step removes what is still there, so a reset interrupted halfway
 * completes when run again, and reports what was already gone.
 */
export async function resetCommand(flags: ResetFlags): Promise<ResetReport> {
  const config = validateStreamsConfig(streamsConfigFrom(process.env, flags));
  const appId = config.applicationId;
  const topology = topologyByName(topologySpecFrom(flags, () => productConfigFrom(process.env, flags)));
  const adapter = operatorAdapter(config, 'reset');
  try {
    const admin = await adapter.admin();
    const group = await admin.describeGroup(appId);
    const activeMembers = group.members.map((m) => m.clientId);
    const internal = [
      ...changelogTopicsOf(appId, topology.storeSpecs),
      // Marks name offsets in the changelogs deleted with them: none may outlive them.
      stateMarksTopicFor(appId),
      ...(flags.deleteDlq === true ? [deadLetterTopicFor(appId)] : []),
    ];
    const existing = new Set(await admin.listTopics());
    const localState = join(config.stateDir, appId);
    const steps: ResetStep[] = [
      {
        step: 'committed offsets',
        targets: [appId],
        status: group.state === 'Dead' ? 'nothing to do' : 'to do',
      },
      {
        step: 'internal topics',
        targets: internal.filter((t) => existing.has(t)),
        status: internal.some((t) => existing.has(t)) ? 'to do' : 'nothing to do',
      },
      {
        step: 'local state',
        targets: [localState],
        status: (await exists(localState)) ? 'to do' : 'nothing to do',
      },
    ];
    if (flags.yes !== true) return { applicationId: appId, activeMembers, steps, applied: false };
    if (activeMembers.length > 0 && flags.force !== true) throw new ActiveMembersError(appId, activeMembers);
    // Offsets first. Should the reset stop there and an instance start, it reprocesses over its
    // whole old state, which admits each transaction once by its id (the product, within its
    // dedup retention); the other
    // order would leave committed offsets over empty state: every balance lost, silently.
    for (const step of steps) {
      if (step.status !== 'to do') continue;
      if (step.step === 'committed offsets') await admin.deleteGroup(appId);
      else if (step.step === 'internal topics') await admin.deleteTopics(step.targets);
      else await rm(localState, { recursive: true, force: true });
      step.status = 'done';
    }
    return { applicationId: appId, activeMembers, steps, applied: true };
  } finally {
    await adapter.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

export function formatResetReport(report: ResetReport): string {
  const lines = [
    `reset of ${report.applicationId}${report.applied ? '' : ' (plan: nothing done; --yes applies it)'}`,
  ];
  if (report.activeMembers.length > 0) lines.push(`  active members: ${report.activeMembers.join(', ')}`);
  for (const step of report.steps) {
    lines.push(`  ${step.step.padEnd(18)} ${step.status.padEnd(14)} ${step.targets.join(', ') || '-'}`);
  }
  return `${lines.join('\n')}\n`;
}
