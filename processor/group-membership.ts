import type { AssignmentInfo, AssignorSettings, SubscriptionInfo } from './assignment/assignment-info.ts';
import type { StreamsConfig } from './config.ts';
import { describeError } from './errors.ts';
import { changelogTopicFor } from './internal-topics.ts';
import type { KafkaClientAdapter } from './kafka/client.ts';
import type { Logger } from './log.ts';
import type { Topology } from './topology.ts';

export interface GroupMembershipDeps {
  config: StreamsConfig;
  topology: Topology;
  adapter: KafkaClientAdapter;
  logger: Logger;
  /** The partitions of this member's active tasks. */
  activePartitions: () => number[];
  /** Its standbys, and how far each has read its changelogs. */
  standbyPartitions: () => number[];
  standbyOffsetSums: () => Record<string, number>;
}

/**
 * What this member says to the group's assignor and remembers from it: its instance, tasks and
 * standbys' progress in each subscription; whether an operator drained its instance; and the
 * probing rebalances that move a task to its caught-up warm-up (asked for by joining a probe,
 * kafkajs having no way to make a running member rejoin).
 */
export class GroupMembership {
  readonly #deps: GroupMembershipDeps;
  readonly #log: Logger;
  readonly changelogTopics: readonly string[];
  readonly settings: AssignorSettings;
  #draining = false;
  #lastProbeAt = 0;
  #probing: Promise<void> | undefined;
  #stopped = false;

  constructor(deps: GroupMembershipDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'group-membership' });
    const { config, topology } = deps;
    this.changelogTopics = [...topology.stores.values()]
      .filter((s) => s.table === undefined)
      .map((s) => changelogTopicFor(config.applicationId, s.name));
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
    return {
      processId: config.processId ?? config.instanceId,
      ...(config.applicationServer === undefined ? {} : { endpoint: config.applicationServer }),
      active: this.#deps.activePartitions(),
      standby: this.#deps.standbyPartitions(),
      taskOffsetSums: this.#deps.standbyOffsetSums(),
      draining: this.#draining,
      settings: this.settings,
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
    if (
      this.#stopped ||
      this.#probing ||
      now - this.#lastProbeAt < this.#deps.config.probingRebalanceIntervalMs
    )
      return;
    this.#lastProbeAt = now;
    const { adapter, config, topology } = this.#deps;
    this.#probing = adapter
      .probeGroup(
        config.applicationId,
        topology.sourceTopics,
        { operator: true, drain: [], undrain: [] },
        { changelogTopics: this.changelogTopics, settings: this.settings },
      )
      .then(() => this.#log.info('probing rebalance done'))
      .catch((error: unknown) => this.#log.warn({ error: describeError(error) }, 'probing rebalance failed'))
      .finally(() => {
        this.#probing = undefined;
      });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#probing;
  }
}
