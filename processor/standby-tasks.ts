import { setTimeout as sleep } from 'node:timers/promises';
import { StateManager } from '../state/index.ts';
import type { StreamsConfig } from './config.ts';
import { describeError } from './errors.ts';
import type { AdminClient, ChangelogFollower, FollowedBatch, KafkaClientAdapter } from './kafka/client.ts';
import { storeChangelogs } from './internal-topics.ts';
import { taskLogger, type Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import { Mutex } from './mutex.ts';
import { tpKey } from './records.ts';
import type { StandbyPosition } from './scrape-gauges.ts';
import { kafkaChangelogSource } from './task-factory.ts';
import { formatTaskId, taskIdFor } from './task-id.ts';
import type { Topology } from './topology.ts';

export interface StandbyTasksDeps {
  topology: Topology;
  config: StreamsConfig;
  adapter: KafkaClientAdapter;
  admin: AdminClient;
  logger: Logger;
  metrics: EngineMetrics;
  /** A warm-up has caught up with its changelogs: time for a probing rebalance to move its task. */
  onWarmupCaughtUp: () => void;
}

interface Standby {
  readonly partition: number;
  readonly taskId: string;
  readonly state: StateManager;
}

/** Tries to open a standby's stores before giving up until the next assignment or retry. */
const OPEN_ATTEMPTS = 20;
const OPEN_RETRY_MS = 250;
/** How often warm-ups compare their checkpoints with their changelogs' end. */
const WARMUP_CHECK_MS = 1_000;

/**
 * A member's standby tasks (Kafka Streams' StandbyTask): each keeps a task's stores open and up to
 * date by reading the task's changelogs — a bulk restore when it starts, then one follower over
 * every standby's changelog partitions — and processes no input. When the task fails over (or
 * moves) to this instance, its active task restores only the few records the standby had not yet
 * read. Warm-ups are standbys the assignor means to promote: once one has caught up, the member
 * asks for a probing rebalance.
 */
export class StandbyTasks {
  readonly #deps: StandbyTasksDeps;
  readonly #log: Logger;
  readonly #standbys = new Map<number, Standby>();
  /** Changelog partition (`topic:partition`) → its standby. */
  readonly #byChangelog = new Map<string, Standby>();
  /** Guards the standbys and their stores: the follower's batches, closes, additions. */
  readonly #lock = new Mutex();
  /** One open phase at a time (it stops and restarts the follower). */
  readonly #opening = new Mutex();
  readonly #follower: ChangelogFollower;
  #wanted = new Set<number>();
  #warmups = new Set<number>();
  #warmupTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The close phase of the latest update. */
  #closing: Promise<void> = Promise.resolve();

  constructor(deps: StandbyTasksDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'standby-tasks' });
    this.#follower = deps.adapter.changelogFollower(`${deps.config.instanceId}`, (batch) =>
      this.#apply(batch),
    );
  }

  /** Partitions whose standby is open here. */
  partitions(): number[] {
    return [...this.#standbys.keys()].sort((a, b) => a - b);
  }

  /** Per open standby, the sum of its stores' changelog checkpoints (the assignor's measure of it). */
  offsetSums(): Record<string, number> {
    const sums: Record<string, number> = {};
    for (const [p, standby] of this.#standbys) {
      let sum = 0;
      for (const c of standby.state.changelogPartitions())
        sum += Number(standby.state.checkpoint(c.store) ?? 0n);
      sums[String(p)] = sum;
    }
    return sums;
  }

  /** Per open standby, its changelog partitions and how far it has applied each (standby lag). */
  positions(): StandbyPosition[] {
    return [...this.#standbys.values()].map((standby) => ({
      task: standby.taskId,
      changelogs: [...standby.state.changelogPartitions()].map((c) => ({
        topic: c.topic,
        partition: c.partition,
        checkpoint: Number(standby.state.checkpoint(c.store) ?? 0n),
      })),
    }));
  }

  /**
   * The assignment's standbys for this member: closes those it no longer keeps, opens and restores
   * the new ones, and follows them all. `active` partitions are never kept as standbys here.
   */
  update(standby: readonly number[], warmup: readonly number[]): Promise<void> {
    this.#wanted = new Set(standby);
    this.#warmups = new Set(warmup.filter((p) => this.#wanted.has(p)));
    this.#scheduleWarmupCheck();
    // Closing first and apart: an active task waiting for its standby's stores (release) must not
    // wait for other standbys' restores as well.
    this.#closing = this.#lock.run(() => this.#closeUnwanted());
    return this.#opening.run(() => this.#openWanted());
  }

  /** Closes the standby of `p`, if open here, so that its active task can open the stores. */
  async release(p: number): Promise<void> {
    this.#wanted.delete(p);
    this.#warmups.delete(p);
    await this.#closing;
    if (this.#standbys.has(p)) await this.#lock.run(() => this.#closeUnwanted());
  }

  async closeAll(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#warmupTimer);
    this.#wanted = new Set();
    // An open phase under way ends first (it follows nothing once closed), then the follower stops.
    await this.#opening.run(async () => undefined);
    await this.#follower.stop();
    await this.#lock.run(() => this.#closeUnwanted());
  }

  /** Under the lock: closes the standbys no longer wanted (the follower's records for them are dropped). */
  async #closeUnwanted(): Promise<void> {
    const gone = [...this.#standbys.keys()].filter((p) => !this.#wanted.has(p));
    for (const p of gone) await this.#close(p);
    if (gone.length > 0) this.#reported();
  }

  /**
   * One open phase at a time (#opening): opens and restores the wanted standbys not open yet, then
   * follows them all. The follower is stopped WITHOUT the lock held: stopping waits for the batch
   * being applied, which takes the lock (holding it here deadlocked: no standby ever opened).
   */
  async #openWanted(): Promise<void> {
    const added = [...this.#wanted].filter((p) => !this.#standbys.has(p));
    if (added.length === 0 || this.#closed) return;
    await this.#follower.stop();
    for (const p of added) {
      if (this.#closed || !this.#wanted.has(p)) continue;
      // Restored without the lock: the follower is stopped, and nothing else has p's stores.
      const standby = await this.#open(p);
      if (!standby) continue;
      await this.#lock.run(async () => {
        if (this.#wanted.has(p) && !this.#closed) this.#standbys.set(p, standby);
        else await standby.state.close(); // released or closed while it restored
      });
    }
    const starts = await this.#lock.run(async () => {
      this.#byChangelog.clear();
      const from = [];
      for (const standby of this.#standbys.values()) {
        for (const c of standby.state.changelogPartitions()) {
          this.#byChangelog.set(tpKey(c), standby);
          from.push({
            topic: c.topic,
            partition: c.partition,
            from: Number(standby.state.checkpoint(c.store) ?? 0n),
          });
        }
      }
      return from;
    });
    if (!this.#closed && starts.length > 0) await this.#follower.follow(starts);
    this.#reported();
  }

  #reported(): void {
    this.#deps.metrics.tasks.set({ state: 'standby' }, this.#standbys.size);
    this.#log.info(
      { standby: this.partitions(), warmup: [...this.#warmups].sort((a, b) => a - b) },
      'standby tasks',
    );
  }

  async #open(p: number): Promise<Standby | undefined> {
    const { config, topology, admin, adapter, logger, metrics } = this.#deps;
    const taskId = formatTaskId(taskIdFor(p));
    for (let attempt = 1; ; attempt++) {
      if (!this.#wanted.has(p) || this.#closed) return undefined;
      let state: StateManager;
      try {
        state = await StateManager.open({
          appId: config.applicationId,
          taskId,
          stateDir: config.stateDir,
          stores: topology.storeSpecs,
          // A standby serves no reads: no cache beyond LevelDB's own.
          cacheMaxBytes: 0,
          changelogs: storeChangelogs(config.applicationId, topology.storeSpecs, p),
        });
      } catch (error) {
        // The active task of this partition may still be closing here (it holds the stores' lock).
        if (attempt >= OPEN_ATTEMPTS) {
          this.#log.warn(
            { task: taskId, error: describeError(error) },
            'cannot open a standby task’s stores; skipped until the next assignment',
          );
          return undefined;
        }
        await sleep(OPEN_RETRY_MS);
        continue;
      }
      try {
        const summary = await state.restore(kafkaChangelogSource(admin, adapter.changelogReader()), {
          logger: taskLogger(logger, taskId, p, { standby: true }),
          onRemaining: () => undefined,
          onRestored: (store, records) => metrics.restoredRecords.inc({ store }, records),
          heartbeat: async () => undefined,
        });
        this.#log.info(
          { task: taskId, restored: summary.total, elapsedMs: Math.round(summary.elapsedMs) },
          'standby task open',
        );
        return { partition: p, taskId, state };
      } catch (error) {
        this.#log.warn(
          { task: taskId, error: describeError(error) },
          'standby restore failed; closed until the next assignment',
        );
        await state.close().catch(() => undefined);
        return undefined;
      }
    }
  }

  async #close(p: number): Promise<void> {
    const standby = this.#standbys.get(p);
    this.#standbys.delete(p);
    if (!standby) return;
    await standby.state
      .close()
      .catch((error: unknown) =>
        this.#log.warn({ task: standby.taskId, error: describeError(error) }, 'closing a standby failed'),
      );
  }

  /** The follower's records, applied under the lock so that no standby closes meanwhile. */
  #apply(batch: FollowedBatch): Promise<void> {
    return this.#lock.run(async () => {
      const standby = this.#byChangelog.get(tpKey(batch));
      if (!standby || this.#standbys.get(standby.partition) !== standby) return;
      await standby.state.applyChangelogRecords(batch.records, {
        topic: batch.topic,
        nextOffset: batch.nextOffset,
      });
    });
  }

  #scheduleWarmupCheck(): void {
    clearTimeout(this.#warmupTimer);
    if (this.#warmups.size === 0 || this.#closed) return;
    this.#warmupTimer = setTimeout(() => {
      void this.#checkWarmups().finally(() => this.#scheduleWarmupCheck());
    }, WARMUP_CHECK_MS);
    this.#warmupTimer.unref();
  }

  async #checkWarmups(): Promise<void> {
    const warm = [...this.#warmups].map((p) => this.#standbys.get(p)).filter((s) => s !== undefined);
    if (warm.length === 0) return;
    try {
      const partitions = warm.flatMap((s) => [...s.state.changelogPartitions()]);
      const ranges = await this.#deps.admin.offsetRange(partitions);
      for (const standby of warm) {
        let lag = 0;
        for (const c of standby.state.changelogPartitions()) {
          const end = ranges.get(tpKey(c))?.end ?? 0;
          lag += Math.max(0, end - Number(standby.state.checkpoint(c.store) ?? 0n));
        }
        if (lag <= this.#deps.config.acceptableRecoveryLag) {
          this.#log.info({ task: standby.taskId, lag }, 'warm-up caught up; asking for a probing rebalance');
          this.#deps.onWarmupCaughtUp();
          return;
        }
      }
    } catch (error) {
      this.#log.warn({ error: describeError(error) }, 'warm-up check failed');
    }
  }
}
