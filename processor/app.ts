import { AppLifecycle, exitNonZero, instanceLogger, stopOnSignals, type AppState } from './app-lifecycle.ts';
import { systemClock, type Clock } from './clock.ts';
import { validateStreamsConfig, type StreamsConfig, type StreamsConfigInput } from './config.ts';
import { ConfigError, describeError } from './errors.ts';
import type { AdminClient, GroupConsumer, KafkaClientAdapter } from './kafka/client.ts';
import { KafkaJsAdapter } from './kafka/kafkajs/index.ts';
import { WorkerKafkaAdapter } from './kafka/worker/index.ts';
import type { Logger } from './log.ts';
import { EngineMetrics } from './metrics.ts';
import { storeDiskSizes, type RestoreSummary } from '../state/index.ts';
import { activeInputPositions, activeTaskStates } from './active-tasks.ts';
import type { MemberReadiness } from './ops/readiness.ts';
import { ScrapeGauges, type ScrapeSources } from './scrape-gauges.ts';
import { formatTaskId, taskIdFor } from './task-id.ts';
import type { PostCommitHook } from './post-commit.ts';
import { GroupMembership } from './group-membership.ts';
import { StandbyTasks } from './standby-tasks.ts';
import { TaskManager } from './task-manager.ts';
import { checkTopicsAtStart } from './startup-checks.ts';
import {
  RoutingTable,
  routingOf,
  readTaskState,
  type LocalRead,
  type QueryRouting,
  type QueryTarget,
  type StoreRead,
} from './queries/index.ts';
import type { Topology } from './topology.ts';

export type { AppState } from './app-lifecycle.ts';

export interface StreamsAppOptions {
  adapter?: KafkaClientAdapter;
  clock?: Clock;
  logger?: Logger;
  metrics?: EngineMetrics;
  onRestored?: (taskId: string, summary: RestoreSummary) => void;
  /**
   * The instance cannot go on (its group consumer failed for good) and is stopping itself; the
   * default sets the process's exit code to 1 so that its supervisor restarts it.
   */
  onFailed?: (error: unknown) => void;
  /** Each routing the app takes (onRouting): stream threads pass it on to the main thread. */
  onRouting?: (routing: QueryRouting) => void;
}

/**
 * A saldo app instance: one member of the consumer group named by the application id, running one
 * task per assigned input partition number.
 */
export class StreamsApp implements QueryTarget {
  readonly config: StreamsConfig;
  readonly topology: Topology;
  readonly logger: Logger;
  readonly metrics: EngineMetrics;
  readonly #adapter: KafkaClientAdapter;
  readonly #clock: Clock;
  readonly #hooks: PostCommitHook[] = [];
  readonly #onRestored: ((taskId: string, summary: RestoreSummary) => void) | undefined;
  readonly #onFailed: (error: unknown) => void;
  readonly #lifecycle: AppLifecycle;
  #consumer: GroupConsumer | undefined;
  #taskManager: TaskManager | undefined;
  #standbys: StandbyTasks | undefined;
  #membership: GroupMembership | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #ticking = false;
  // Interactive queries: where each partition's task runs, what the group gave this member, and
  // the inputs' partition count (which places a key).
  readonly #routing = new RoutingTable();
  readonly #onRouting: ((routing: QueryRouting) => void) | undefined;
  #assigned: ReadonlySet<number> = new Set();
  #partitionCount: number | undefined;

  constructor(topology: Topology, config: StreamsConfigInput, opts: StreamsAppOptions = {}) {
    this.config = validateStreamsConfig(config);
    if (this.config.streamThreads > 1) {
      throw new ConfigError(
        `streamThreads: ${this.config.streamThreads} needs StreamThreadsApp, which builds the topology in each thread; a StreamsApp is one stream thread`,
      );
    }
    this.topology = topology;
    this.logger = opts.logger ?? instanceLogger(this.config);
    this.#lifecycle = new AppLifecycle(this.config.applicationId, this.logger);
    this.metrics =
      opts.metrics ??
      new EngineMetrics({
        app: this.config.applicationId,
        instance_id: this.config.processId ?? this.config.instanceId,
      });
    this.#clock = opts.clock ?? systemClock;
    this.#onRestored = opts.onRestored;
    this.#onFailed = opts.onFailed ?? exitNonZero;
    this.#onRouting = opts.onRouting;
    this.#adapter =
      opts.adapter ??
      (this.config.kafkaClientThread === 'worker'
        ? new WorkerKafkaAdapter(this.#adapterOptions())
        : new KafkaJsAdapter(this.#adapterOptions()));
  }

  #adapterOptions() {
    return {
      clientId: `${this.config.applicationId}-${this.config.instanceId}`,
      brokers: this.config.brokers,
      logger: this.logger,
      groupPrefix: this.config.applicationId,
      security: this.config.kafkaSecurity,
    };
  }

  get state(): AppState {
    return this.#lifecycle.state;
  }

  get taskManager(): TaskManager | undefined {
    return this.#taskManager;
  }

  /** This member's part of the instance's readiness (ops/readiness.ts). */
  memberReadiness(): MemberReadiness {
    const tasks = this.#taskManager;
    return {
      state: this.state,
      joined: tasks?.joined ?? false,
      tasks: tasks === undefined ? [] : activeTaskStates(tasks.activeTasks()),
    };
  }

  /** The inputs' partition count, once start() has checked the topics. */
  get partitionCount(): number | undefined {
    return this.#partitionCount;
  }

  /** The latest routing of queries (QueryRouting); undefined until the first. */
  get routing(): QueryRouting | undefined {
    return this.#routing.current;
  }

  /** A new routing, from the group's assignment: kept unless a later generation is already here. */
  onRouting(routing: QueryRouting): void {
    if (this.#routing.update(routing)) this.#onRouting?.(routing);
  }

  /**
   * Reads committed values of the task of `partition` for an interactive query, if this member
   * runs it: restoring while it is assigned but not running yet, not-owner when not assigned.
   */
  async readLocal(partition: number, reads: readonly StoreRead[]): Promise<LocalRead> {
    return readTaskState(this.#taskManager?.tasks, this.#assigned, partition, reads);
  }

  /** Registers a hook that sees committed outputs only, in order per partition (e.g. the Redis cache). */
  onCommitted(hook: PostCommitHook): this {
    this.#hooks.push(hook);
    return this;
  }

  describe(): string {
    return this.topology.describe(this.config.applicationId);
  }

  async start(): Promise<void> {
    this.#lifecycle.transitionTo('starting');
    try {
      const admin = await this.#adapter.admin();
      const partitions = await checkTopicsAtStart({
        admin,
        topology: this.topology,
        config: this.config,
        logger: this.logger,
      });
      this.#partitionCount = partitions;
      const standbys = new StandbyTasks({
        topology: this.topology,
        config: this.config,
        adapter: this.#adapter,
        admin,
        logger: this.logger,
        metrics: this.metrics,
        onWarmupCaughtUp: () => membership.requestProbingRebalance(),
      });
      this.#standbys = standbys;
      const membership = new GroupMembership({
        config: this.config,
        topology: this.topology,
        logger: this.logger,
        rejoin: () => this.#consumer?.requestRejoin(),
        activePartitions: () => taskManager.ownedPartitions(),
        standbyPartitions: () => standbys.partitions(),
        standbyOffsetSums: () => standbys.offsetSums(),
      });
      this.#membership = membership;
      const taskManager = new TaskManager({
        topology: this.topology,
        config: this.config,
        adapter: this.#adapter,
        admin,
        consumer: () => this.#consumer as GroupConsumer,
        logger: this.logger,
        metrics: this.metrics,
        clock: this.#clock,
        postCommitHooks: this.#hooks,
        onRestored: this.#onRestored,
        onFatal: (error) => this.#fail(error),
        standbys,
      });
      this.#taskManager = taskManager;
      this.metrics.useScrapeGauges(new ScrapeGauges(this.#scrapeSources(admin, taskManager, standbys)));
      this.#consumer = this.#adapter.groupConsumer({
        groupId: this.config.applicationId,
        topics: this.topology.sourceTopics,
        subscription: () => membership.subscription(),
        changelogTopics: membership.changelogTopics,
        assignorSettings: membership.settings,
        onBatch: (batch, control) => taskManager.onBatch(batch, control),
        onAssignment: (ps, memberId, info, generation, joinMs) => {
          this.metrics.rebalances.inc();
          if (joinMs !== undefined) this.metrics.rebalanceDuration.observe(joinMs / 1000);
          this.#assigned = new Set(ps);
          membership.onAssignment(info);
          taskManager.onAssignment(ps, memberId, info.standby, info.warmup);
          this.onRouting(routingOf(generation, info.activeEndpoints));
        },
        onCrash: (error, willRestart) => {
          if (willRestart) {
            this.logger.error(
              { error: describeError(error) },
              'group consumer crashed; the client restarts it',
            );
            return;
          }
          // Nothing will consume for this instance any more: stop, and exit non-zero so that the
          // supervisor (Kubernetes) restarts it; the tasks move to other instances meanwhile.
          this.#fail(error, 'group consumer failed for good; stopping');
        },
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        maxConcurrentPartitions: Math.max(1, partitions * this.topology.sourceTopics.length),
        fetchMaxBytes: this.config.fetchMaxBytes,
        fetchMaxBytesPerPartition: this.config.fetchMaxBytesPerPartition,
      });
      await this.#consumer.start();
      this.#ticker = setInterval(
        () => void this.#tick(),
        Math.max(5, Math.floor(this.config.commitIntervalMs / 2)),
      );
      this.#lifecycle.transitionTo('running');
    } catch (error) {
      this.#lifecycle.transitionTo('failed');
      throw error;
    }
  }

  /** What consumer lag, standby lag and store sizes are computed from when Prometheus scrapes. */
  #scrapeSources(admin: AdminClient, taskManager: TaskManager, standbys: StandbyTasks): ScrapeSources {
    const { applicationId, stateDir } = this.config;
    const sourceTopics = this.topology.sourceTopics;
    return {
      inputPositions: () => activeInputPositions(taskManager.activeTasks(), sourceTopics),
      standbyPositions: () => standbys.positions(),
      offsetRange: (tps) => admin.offsetRange(tps),
      committedOffsets: (tps) => admin.committedOffsets(applicationId, tps),
      storeSizes: () => {
        const active = taskManager.ownedPartitions().map((p) => formatTaskId(taskIdFor(p)));
        const standby = standbys.positions().map((s) => s.task);
        return storeDiskSizes(stateDir, applicationId, [...active, ...standby]);
      },
    };
  }

  /** The instance cannot go on: one fatal line saying why, then a stop that exits non-zero. */
  #fail(error: unknown, message = `stopping: ${describeError(error).message}`): void {
    if (this.state !== 'running' && this.state !== 'starting') return;
    this.logger.fatal({ error: describeError(error) }, message);
    this.#onFailed(error);
    void this.stop().catch(() => undefined);
  }

  async #tick(): Promise<void> {
    if (this.#ticking || !this.#taskManager) return;
    this.#ticking = true;
    try {
      await this.#taskManager.tick();
    } catch (error) {
      this.logger.error({ error: describeError(error) }, 'periodic commit failed');
    } finally {
      this.#ticking = false;
    }
  }

  /** Finishes in-flight batches, commits, closes stores and leaves the group. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'pending-shutdown') return;
    if (this.state === 'created') {
      this.#lifecycle.transitionTo('stopped');
      return;
    }
    this.#lifecycle.transitionTo('pending-shutdown');
    if (this.#ticker) clearInterval(this.#ticker);
    try {
      this.#membership?.stop();
      await Promise.all([this.#taskManager?.closeAll(), this.#standbys?.closeAll()]);
    } finally {
      await this.#consumer
        ?.stop()
        .catch((error: unknown) => this.logger.warn({ error: describeError(error) }, 'consumer stop failed'));
      await this.#adapter.close();
      for (const hook of this.#hooks) {
        await hook
          .close?.()
          .catch((error: unknown) =>
            this.logger.warn({ error: describeError(error) }, 'post-commit hook close failed'),
          );
      }
      this.#lifecycle.transitionTo('stopped');
    }
  }

  /** SIGTERM/SIGINT: a clean stop (finish the batch, commit, close stores, leave the group). */
  installSignalHandlers(): void {
    stopOnSignals(
      this.logger,
      () => this.stop(),
      () => 0,
    );
  }
}
