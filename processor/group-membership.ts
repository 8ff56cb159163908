import type { AssignmentInfo, AssignorSettings, SubscriptionInfo } from './assignment/assignment-info.ts';
import type { StreamsConfig } from './config.ts';
import { localTaskOffsetSums } from '../state/index.ts';
import { changelogTopicsOf, loggedStoreNames } from './internal-topics.ts';
import type { Logger } from './log.ts';
import type { Topology } from './topology.ts';

export interface GroupMembershipDeps {
  config: StreamsConfig;
  topology: Topology;
  logger: Logger;
  /** The partitions of this member's active tasks. */
  activePartitions: () => number[];
  /** Its standbys, and how far each has read its changelogs. */
  standbyPartitions: () => number[];
  standbyOffsetSums: () => Record<string, number>;
  /** Makes the member rejoin the group (the group consumer's requestRejoin). */
  rejoin: () => void;
}

/**
 * What this member says to the group's assignor and remembers from it: its instance, tasks and
 * standbys' progress in each subscription; whether an operator drained its instance; and the
 * probing rebalances that move a task to its caught-up warm-up: the member rejoins with its fresh
 * subscription (a changed subscription makes the coordinator rebalance the group, once).
 */
export class GroupMembership {
  readonly #deps: GroupMembershipDeps;
  readonly #log: Logger;
  readonly changelogTopics: readonly string[];
  readonly settings: AssignorSettings;
  /** The stores with a changelog of their own (whose checkpoints say how far local state is). */
  readonly #loggedStores: string[];
  #draining = false;
  #lastProbeAt = 0;
  #rejoins = 0;
  #stopped = false;

  constructor(deps: GroupMembershipDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'group-membership' });
    const { config, topology } = deps;
    this.#loggedStores = loggedStoreNames(topology.storeSpecs);
    this.changelogTopics = changelogTopicsOf(config.applicationId, topology.storeSpecs);
    this.settings = {
      numStandbyReplicas: config.numStandbyReplicas,
      acceptableRecoveryLag: config.acceptableRecoveryLag,
      maxWarmupReplicas: config.maxWarmupReplicas,
    };
  }

  get draining(): boolean {
    return this.#draining;
  }

  subscription(): SubscriptionInfo {
    const { config } = this.#deps;
    // State left on disk by tasks that ran here before (this process or an earlier one), then what
    // the open standbys have read: the assignor moves tasks back here warm after a restart.
    const onDisk = localTaskOffsetSums(config.stateDir, config.applicationId, this.#loggedStores);
    const taskOffsetSums: Record<string, number> = {};
    for (const [task, sum] of onDisk) taskOffsetSums[String(task)] = sum;
    Object.assign(taskOffsetSums, this.#deps.standbyOffsetSums());
    return {
      processId: config.processId ?? config.instanceId,
      ...(config.applicationServer === undefined ? {} : { endpoint: config.applicationServer }),
      active: this.#deps.activePartitions(),
      standby: this.#deps.standbyPartitions(),
      taskOffsetSums,
      draining: this.#draining,
      settings: this.settings,
      rejoins: this.#rejoins,
    };
  }

  onAssignment(info: AssignmentInfo): void {
    if (info.drain !== this.#draining) {
      this.#log.warn(
        { draining: info.drain },
        info.drain ? 'this instance is drained: its tasks move away' : 'drain lifted',
      );
    }
    this.#draining = info.drain;
  }

  /** A warm-up caught up: one probing rebalance, no sooner than probingRebalanceIntervalMs after the last. */
  requestProbingRebalance(): void {
    const now = Date.now();
    if (this.#stopped || now - this.#lastProbeAt < this.#deps.config.probingRebalanceIntervalMs) return;
    this.#lastProbeAt = now;
    this.#rejoins += 1;
    this.#log.info({ rejoins: this.#rejoins }, 'probing rebalance: rejoining the group');
    this.#deps.rejoin();
  }

  stop(): void {
    this.#stopped = true;
  }
}
