import type { Redis, Result } from 'ioredis';
import type { Registry } from 'prom-client';
import { counterOn } from '../registry-metrics.ts';
import { connectRedis, type RedisSecurity } from './redis-connection.ts';
import {
  createLogger,
  describeError,
  type ChangelogRecordRead,
  type CommittedEvent,
  type Logger,
  type PostCommitHook,
  type TaskStartedEvent,
} from '../../processor/index.ts';
import { stringSerde } from '../../state/index.ts';
import { accountBalancesSerde, hasSnapshot, snapshotOf } from './account-balances.ts';
import { BALANCES_STORE } from './balances-processor.ts';
import { balanceKey, servingHashFields } from './serving-hash.ts';
import type { BalanceSnapshot } from './snapshot.ts';

// Writes each hash only if its version is newer than the one Redis holds: partitions move between
// instances and replays happen, so an older snapshot may come after a newer one. Atomic in Redis,
// without WATCH. KEYS: the hashes; ARGV[1]: one JSON array with, for each key in order, its version
// and its fields and values as an array of strings (version first). One script call for a whole
// chunk of a commit's snapshots rather than one per account: building and sending each command was
// most of the cache's cost in the product benchmark's profile, and Redis decodes the JSON in C (cjson).
const WRITE_IF_NEWER = `
local batch = cjson.decode(ARGV[1])
local written = 0
for i, key in ipairs(KEYS) do
  local entry = batch[i]
  local current = redis.call('HGET', key, 'version')
  if not current or tonumber(current) < tonumber(entry[1]) then
    redis.call('DEL', key)
    redis.call('HSET', key, unpack(entry[2]))
    written = written + 1
  end
end
return written`;

// Hashes per script call: a script holds Redis while it runs (about 5 µs a hash here), so a
// commit's thousands of snapshots go in chunks that keep other clients' waits around a millisecond.
const HASHES_PER_CALL = 256;

// Raises a task's sync marker, never lowers it. KEYS[1]: the marker; ARGV[1]: the offset.
const RAISE_MARKER = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    saldoWriteIfNewer(numberOfKeys: number, ...keysAndBatch: string[]): Result<number, Context>;
    saldoRaiseMarker(key: string, offset: string): Result<number, Context>;
  }
}

export interface RedisBalanceCacheOptions {
  redisUrl: string;
  /** Credentials and CA (a secret: never log these options). */
  redisSecurity?: RedisSecurity;
  /** Prefix of every key saldo writes (default `saldo:`). */
  keyPrefix: string;
  applicationId: string;
  /** The sink whose outputs are balance snapshots. */
  sink: string;
  logLevel?: string;
  /** The instance, on every log line (as the engine's). */
  instanceId?: string;
}

/** Counts the cache's failed writes (saldo_redis_write_errors_total); each is caught up later. */
export interface RedisCacheObserver {
  writeFailed(): void;
}

const NO_OBSERVER: RedisCacheObserver = { writeFailed: () => undefined };

/** What the cache knows of one task of this instance. */
interface TaskSync {
  readChangelog: TaskStartedEvent['readChangelog'] | undefined;
  /** The highest balances-store checkpoint of a commit whose snapshots are in Redis. */
  written: bigint;
  /** A committed range may be missing from Redis: the marker waits for a catch-up. */
  dirty: boolean;
  /** A write failed while a catch-up ran: that catch-up does not clear `dirty`. */
  failedDuringCatchUp: boolean;
  catchingUp: Promise<void> | undefined;
}

/**
 * The Redis serving cache of balances, as a post-commit hook: after each commit, the latest
 * snapshot of each account it changed goes to Redis in one pipeline, each as a compare-and-write
 * on its version. A marker per task (`<prefix>sync:<app>:<task>`) records how far the balances
 * store's changelog is in Redis. When a task starts (after a crash between a commit and its Redis
 * write, say, or on an empty Redis), or after a write failed, the cache catches up from the
 * marker by reading the changelog: Redis always comes back to what Kafka committed.
 */
export class RedisBalanceCache {
  readonly #redis: Redis;
  readonly #options: RedisBalanceCacheOptions;
  readonly #log: Logger;
  readonly #observer: RedisCacheObserver;
  readonly #tasks = new Map<string, TaskSync>();

  constructor(
    redis: Redis,
    options: RedisBalanceCacheOptions,
    logger: Logger,
    observer: RedisCacheObserver = NO_OBSERVER,
  ) {
    this.#redis = redis;
    this.#options = options;
    this.#log = logger;
    this.#observer = observer;
    // The number of keys is given with each call: a chunk's size.
    redis.defineCommand('saldoWriteIfNewer', { lua: WRITE_IF_NEWER });
    redis.defineCommand('saldoRaiseMarker', { numberOfKeys: 1, lua: RAISE_MARKER });
  }

  /** The engine's hook: a function with the task-start and close callbacks. */
  hook(): PostCommitHook {
    const hook = ((event: CommittedEvent) => this.onCommitted(event)) as PostCommitHook;
    hook.onTaskStarted = (event) => this.onTaskStarted(event);
    hook.close = () => this.close();
    return hook;
  }

  markerKey(taskId: string): string {
    return `${this.#options.keyPrefix}sync:${this.#options.applicationId}:${taskId}`;
  }

  async onCommitted(event: CommittedEvent): Promise<void> {
    const sync = this.#sync(event.taskId);
    const latest = new Map<string, BalanceSnapshot>();
    for (const output of event.outputs) {
      if (output.sink !== this.#options.sink) continue;
      const snapshot = output.value as BalanceSnapshot;
      latest.set(snapshot.accountId, snapshot);
    }
    try {
      await this.#write(latest.values());
    } catch (error) {
      sync.dirty = true;
      if (sync.catchingUp !== undefined) sync.failedDuringCatchUp = true;
      throw error;
    }
    const checkpoint = event.checkpoints.get(BALANCES_STORE);
    if (checkpoint === undefined) return;
    if (checkpoint > sync.written) sync.written = checkpoint;
    if (sync.catchingUp !== undefined) return;
    if (!sync.dirty) await this.#raiseMarker(this.markerKey(event.taskId), checkpoint);
    else this.#startCatchUp(event.taskId, sync, sync.written);
  }

  onTaskStarted(event: TaskStartedEvent): void {
    const sync = this.#sync(event.taskId);
    sync.readChangelog = event.readChangelog;
    const restored = event.checkpoints.get(BALANCES_STORE);
    if (restored === undefined) return; // nothing was ever written for this task
    if (restored > sync.written) sync.written = restored;
    sync.dirty = true;
    this.#startCatchUp(event.taskId, sync, restored);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#tasks.values()].map((sync) => sync.catchingUp));
    this.#redis.disconnect();
  }

  #sync(taskId: string): TaskSync {
    let sync = this.#tasks.get(taskId);
    if (sync === undefined) {
      sync = {
        readChangelog: undefined,
        written: 0n,
        dirty: false,
        failedDuringCatchUp: false,
        catchingUp: undefined,
      };
      this.#tasks.set(taskId, sync);
    }
    return sync;
  }

  #startCatchUp(taskId: string, sync: TaskSync, target: bigint): void {
    if (sync.catchingUp !== undefined || sync.readChangelog === undefined) return;
    sync.failedDuringCatchUp = false;
    sync.catchingUp = this.#catchUp(taskId, sync, target)
      .catch((error: unknown) => {
        this.#log.warn(
          { error: describeError(error), task: taskId },
          'Redis catch-up failed; it is tried again after the next commit',
        );
      })
      .finally(() => {
        sync.catchingUp = undefined;
      });
  }

  /** Writes the snapshots the changelog holds between the task's marker and `target`. */
  async #catchUp(taskId: string, sync: TaskSync, target: bigint): Promise<void> {
    const markerKey = this.markerKey(taskId);
    const marker = BigInt((await this.#redis.get(markerKey)) ?? '0');
    let written = 0;
    if (marker < target) {
      const started = performance.now();
      await (sync.readChangelog as TaskStartedEvent['readChangelog'])(
        BALANCES_STORE,
        marker,
        target,
        async (records) => {
          const snapshots = snapshotsOf(records);
          await this.#write(snapshots);
          written += snapshots.length;
        },
      );
      this.#log.info(
        {
          task: taskId,
          from: String(marker),
          to: String(target),
          snapshots: written,
          ms: Math.round(performance.now() - started),
        },
        'Redis caught up with the balances changelog',
      );
    }
    // Commits during the catch-up wrote their own snapshots: unless one failed, Redis now holds
    // everything up to the latest of them.
    const upTo = sync.failedDuringCatchUp ? target : sync.written > target ? sync.written : target;
    await this.#raiseMarker(markerKey, upTo);
    if (!sync.failedDuringCatchUp) sync.dirty = false;
  }

  async #raiseMarker(key: string, offset: bigint): Promise<void> {
    try {
      await this.#redis.saldoRaiseMarker(key, offset.toString());
    } catch (error) {
      this.#observer.writeFailed();
      throw error;
    }
  }

  /**
   * Writes the snapshots in one pipeline of script calls, a chunk of accounts each; a failure (of
   * the pipeline or of one write) is counted.
   */
  async #write(snapshots: Iterable<BalanceSnapshot>): Promise<void> {
    try {
      const pipeline = this.#redis.pipeline();
      let keys: string[] = [];
      let entries: Array<[string, string[]]> = [];
      let calls = 0;
      const send = () => {
        pipeline.saldoWriteIfNewer(keys.length, ...keys, JSON.stringify(entries));
        keys = [];
        entries = [];
        calls += 1;
      };
      for (const snapshot of snapshots) {
        keys.push(balanceKey(this.#options.keyPrefix, snapshot.accountId));
        entries.push([snapshot.version.toString(), servingHashFields(snapshot)]);
        if (keys.length === HASHES_PER_CALL) send();
      }
      if (keys.length > 0) send();
      if (calls === 0) return;
      const results = (await pipeline.exec()) ?? [];
      const failure = results.find(([error]) => error !== null)?.[0];
      if (failure) throw failure;
    } catch (error) {
      this.#observer.writeFailed();
      throw error;
    }
  }
}

/**
 * The balance snapshots a slice of the balances store's changelog holds (tombstones skipped, and
 * records with only a fraud profile: no snapshot of them was ever emitted).
 */
function snapshotsOf(records: readonly ChangelogRecordRead[]): BalanceSnapshot[] {
  const latest = new Map<string, BalanceSnapshot>();
  for (const record of records) {
    if (record.key === null || record.value === null) continue;
    const account = accountBalancesSerde.deserialize(record.value);
    if (!hasSnapshot(account)) continue;
    const accountId = stringSerde.deserialize(record.key);
    latest.set(accountId, snapshotOf(accountId, account));
  }
  return [...latest.values()];
}

/**
 * Builds the cache's hook from plain arguments: what `saldo run` registers, and what each stream
 * thread builds for its own tasks (a worker cannot be handed a connection).
 */
export function redisBalanceCacheHook(
  options: RedisBalanceCacheOptions,
  context?: { metrics?: Registry },
): PostCommitHook {
  const logger = createLogger({
    level: options.logLevel ?? 'info',
    base: {
      app: options.applicationId,
      ...(options.instanceId === undefined ? {} : { instance: options.instanceId }),
      component: 'redis-balance-cache',
    },
  });
  const redis = connectRedis(options.redisUrl, options.redisSecurity, {
    maxRetriesPerRequest: 3,
    lazyConnect: false,
  });
  redis.on('error', (error: unknown) =>
    logger.warn({ error: describeError(error) }, 'Redis connection error; commands are retried'),
  );
  return new RedisBalanceCache(
    redis,
    options,
    logger,
    context?.metrics === undefined ? NO_OBSERVER : redisCacheMetricsOn(context.metrics),
  ).hook();
}

/** The cache's metrics on an app's registry: saldo_redis_write_errors_total. */
export function redisCacheMetricsOn(registry: Registry): RedisCacheObserver {
  const errors = counterOn(registry, {
    name: 'saldo_redis_write_errors_total',
    help: 'Writes of balance snapshots to Redis that failed (each is caught up from the changelog after the next commit)',
    labelNames: [],
  });
  return { writeFailed: () => errors.inc() };
}
