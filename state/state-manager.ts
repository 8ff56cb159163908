import type { StoreKind } from './changelog.ts';
import { StoreArgumentError, TransactionStateError, UnknownStoreError } from './errors.ts';
import { TransactionalKeyValueStore, type KeyValueStore } from './key-value-store.ts';
import { cacheShareOf } from './memory-budget.ts';
import { openStores, type OpenStore } from './store-opening.ts';
import {
  ChangelogCheckpoints,
  type OutgoingChangelogRecord,
  type StoreChangelog,
} from './changelog-checkpoints.ts';
import type { ChangelogPartition, ChangelogSource, ChangelogSourceRecord } from './changelog-source.ts';
import { restoreStores, type RestoreOptions, type RestoreSummary } from './recovery.ts';
import { applyStandbyRecords } from './standby-records.ts';
import { writeLocalStateSummary } from './local-state-summary.ts';
import type { Serde } from './serde.ts';
import { StoreCodec } from './store-codec.ts';
import type { StoreEngine } from './store-engine.ts';
import { StoreRestorer, type StoreRestorerOptions } from './store-restorer.ts';
import { validateSpecs, type StoreSpec } from './store-spec.ts';
import { TaskTransaction } from './task-transaction.ts';
import {
  TransactionalTtlKeyValueStore,
  ttlIndexWriteFor,
  type TtlKeyValueStore,
} from './ttl-key-value-store.ts';
import { TransactionalWindowedStore, windowIndexWriteFor, type WindowedStore } from './windowed-store.ts';

export interface StateManagerOptions {
  readonly appId: string;
  /** `<subtopology>_<partition>`, e.g. "0_3". */
  readonly taskId: string;
  readonly stateDir: string;
  readonly stores: readonly StoreSpec[];
  /**
   * Bound (approximate heap bytes) of the task's read caches, split evenly between its cached
   * stores; 0 disables them. Defaults to DEFAULT_CACHE_MAX_BYTES.
   */
  readonly cacheMaxBytes?: number;
  /**
   * The changelog partition of each store with a changelog of its own, by store name (processor/
   * names the topics): needed to restore and to commit, not to read and write the stores.
   */
  readonly changelogs?: ReadonlyMap<string, ChangelogPartition>;
}

/**
 * The state of one task (Kafka Streams' ProcessorStateManager): opens its stores, knows their
 * checkpoints, owns the task transaction every write goes through, hands out typed store handles,
 * restores the stores from their changelogs (recovery.ts) and commits them in two halves around
 * the Kafka commit (prepareCommit, completeCommit). The transaction is reused across commits, so
 * handles stay valid for the life of the manager.
 */
export class StateManager {
  readonly appId: string;
  readonly taskId: string;
  readonly stateDir: string;
  /** Stores whose local files were unreadable at open and were wiped: restore them from the start. */
  readonly wipedOnOpen: readonly string[];
  private readonly stores: ReadonlyMap<string, OpenStore>;
  private readonly taskTransaction: TaskTransaction;
  private readonly checkpointing: ChangelogCheckpoints;
  private closed = false;

  private constructor(
    options: StateManagerOptions,
    stores: ReadonlyMap<string, OpenStore>,
    wipedOnOpen: readonly string[],
    checkpointing: ChangelogCheckpoints,
  ) {
    this.appId = options.appId;
    this.taskId = options.taskId;
    this.stateDir = options.stateDir;
    this.stores = stores;
    this.wipedOnOpen = wipedOnOpen;
    this.checkpointing = checkpointing;
    this.taskTransaction = new TaskTransaction(
      options.taskId,
      [...stores.values()].map((store) => store.engine),
    );
  }

  /**
   * Opens every store of the task. A store whose files are corrupt or of an unknown layout is
   * wiped and opened empty (the changelog is the source of truth) and listed in `wipedOnOpen`.
   */
  static async open(options: StateManagerOptions): Promise<StateManager> {
    validateSpecs(options);
    const checkpointing = new ChangelogCheckpoints(options.taskId, options.changelogs, options.stores);
    const { stores, wiped } = await openStores(options);
    return new StateManager(options, stores, wiped, checkpointing);
  }

  get storeNames(): string[] {
    return [...this.stores.keys()];
  }

  /**
   * The store's value of `key` as it stands in LevelDB: committed state, without the writes of the
   * open transaction (those are the stores' to read). For tools and tests that look at local state.
   */
  committedBytes(name: string, key: Buffer): Buffer | undefined {
    return this.store(name).engine.getSync(key);
  }

  /** The store's read cache: its bound, size and counters. */
  cacheStats(name: string): StoreEngine['cacheStats'] {
    return this.store(name).engine.cacheStats;
  }

  /** The next changelog offset to restore the store from; undefined = from the beginning. */
  checkpoint(name: string): bigint | undefined {
    return this.store(name).engine.readCheckpoint();
  }

  checkpoints(): Map<string, bigint | undefined> {
    return new Map([...this.stores].map(([name, store]) => [name, store.engine.readCheckpoint()]));
  }

  /**
   * Where the committed state of each store with a changelog of its own stands in that changelog:
   * the offset after the last record it covers (its checkpoint; 0 before any). Between commits
   * this is the state of the last commit, the changelog half of a state mark.
   */
  committedChangelogPositions(): Array<StoreChangelog & { next: bigint }> {
    return this.checkpointing.changelogs().map((changelog) => ({
      ...changelog,
      next: this.store(changelog.store).engine.readCheckpoint() ?? 0n,
    }));
  }

  /**
   * Changes the bound of the task's read caches (split evenly between its cached stores; 0
   * disables them), evicting least recently used entries to fit.
   */
  resizeCaches(maxBytes: number): void {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new StoreArgumentError(
        `read cache size ${maxBytes} is not a whole, non-negative number of bytes`,
        {
          storeName: '*',
          taskId: this.taskId,
        },
      );
    }
    const share = cacheShareOf(
      maxBytes,
      [...this.stores.values()].map((store) => store.spec),
    );
    for (const store of this.stores.values()) store.engine.resizeCache(share(store.spec));
  }

  /** The task's transaction: the same object for the life of the manager. */
  transaction(): TaskTransaction {
    return this.taskTransaction;
  }

  /**
   * Brings every store with a changelog of its own up to the end of its changelog, read from
   * `source`, from the store's checkpoint on (recovery.ts). Only before the task processes.
   */
  async restore(source: ChangelogSource, options: RestoreOptions): Promise<RestoreSummary> {
    return restoreStores(this, this.checkpointing.changelogs(), source, options);
  }

  /** The changelog partition of every store with a changelog of its own. */
  changelogPartitions(): readonly StoreChangelog[] {
    return this.checkpointing.changelogs();
  }

  /**
   * A standby's step (standby-records.ts): applies changelog records read past the restore, and
   * moves each store's checkpoint to where its changelog has been read. Returns records applied.
   */
  applyChangelogRecords(
    records: readonly ChangelogSourceRecord[],
    readUpTo?: { topic: string; nextOffset: number },
  ): Promise<number> {
    return applyStandbyRecords(this, records, readUpTo);
  }

  /**
   * A store whose changelog is an input topic (`logged: false`) now holds that topic's records
   * below `nextOffset`: its checkpoint once the next commit is in Kafka.
   */
  advanceInputCheckpoint(store: string, nextOffset: number): void {
    this.checkpointing.advanceInput(store, nextOffset);
  }

  /**
   * The first half of a commit: freezes the transaction and hands over the changelog records to
   * send with the commit's outputs and offsets, one per store and key written.
   */
  prepareCommit(): OutgoingChangelogRecord[] {
    return this.checkpointing.address(this.taskTransaction.changelogRecords());
  }

  /**
   * The second half, once Kafka has the commit: writes each store's buffered writes to LevelDB
   * together with the checkpoint the commit earned (`produced`: the last offset the commit wrote
   * per topic-partition, keyed `<topic>:<partition>`), so local state is never ahead of Kafka.
   * Returns the checkpoints of the stores the commit wrote.
   */
  async completeCommit(produced: ReadonlyMap<string, number>): Promise<ReadonlyMap<string, bigint>> {
    const checkpoints = this.checkpointing.committed(produced);
    await this.taskTransaction.flush(checkpoints);
    return checkpoints;
  }

  /** Drops everything written since the last commit (the commit failed, or the task is lost). */
  discardUncommitted(): void {
    this.taskTransaction.abort();
    this.checkpointing.discard();
  }

  /** A key-value store's handle; read-only for a store without a changelog of its own (`logged: false`). */
  keyValueStore<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>): KeyValueStore<K, V> {
    const store = this.storeOfKind(name, 'key-value');
    return new TransactionalKeyValueStore(
      this.taskTransaction.store(name),
      this.codec(name, keySerde, valueSerde),
      { writes: store.spec.logged === false ? 'read-only' : 'logged', taskId: this.taskId },
    );
  }

  /**
   * The writable handle of a key-value store whose changelog is an input topic (`logged: false`):
   * its writes reach LevelDB with the next flush, whose checkpoint (the input offset they cover)
   * the caller gives, and never a changelog.
   */
  keyValueStoreWriter<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>): KeyValueStore<K, V> {
    const store = this.storeOfKind(name, 'key-value');
    if (store.spec.logged !== false) {
      throw new StoreArgumentError('only a store with logged: false has a local-only writer', {
        storeName: name,
        taskId: this.taskId,
      });
    }
    return new TransactionalKeyValueStore(
      this.taskTransaction.store(name),
      this.codec(name, keySerde, valueSerde),
      { writes: 'local', taskId: this.taskId },
    );
  }

  /**
   * A windowed store's handle. `streamTime`, when given, is the task's stream time (negative
   * before the first record): the store expires by it when it is ahead of what the store observed,
   * so that a store restored after a restart or a move expires from the committed stream time.
   */
  windowedStore<K, V>(
    name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    streamTime?: () => number,
  ): WindowedStore<K, V> {
    const store = this.storeOfKind(name, 'windowed');
    return new TransactionalWindowedStore(
      this.taskTransaction.store(name),
      this.codec(name, keySerde, valueSerde),
      {
        retentionMs: store.spec.retentionMs as number,
        streamTime: store.streamTime,
        taskId: this.taskId,
        ...(streamTime === undefined ? {} : { taskStreamTime: streamTime }),
      },
    );
  }

  /**
   * A TTL store's handle. `streamTime` is the task's stream time (the largest record timestamp
   * it has seen; negative before the first), which decides what has expired.
   */
  ttlKeyValueStore<K, V>(
    name: string,
    keySerde: Serde<K>,
    valueSerde: Serde<V>,
    streamTime: () => number,
  ): TtlKeyValueStore<K, V> {
    const store = this.storeOfKind(name, 'ttl-key-value');
    return new TransactionalTtlKeyValueStore(
      this.taskTransaction.store(name),
      this.codec(name, keySerde, valueSerde),
      { ttlMs: store.spec.ttlMs as number, streamTime, taskId: this.taskId },
    );
  }

  /**
   * What restores one store from its changelog (for recovery.ts): writes the records, and what they imply (a TTL
   * store's expiry index, a windowed store's time index), in batches with the checkpoint. Only
   * while no transaction is under way.
   */
  restorer(name: string, options: Omit<StoreRestorerOptions, 'derive'> = {}): StoreRestorer {
    const store = this.store(name);
    const kind = store.spec.kind;
    const derive =
      kind === 'ttl-key-value' ? ttlIndexWriteFor : kind === 'windowed' ? windowIndexWriteFor : undefined;
    return new StoreRestorer(store.engine, { ...options, derive });
  }

  /**
   * Deletes one store's local state and checkpoint; restore it from the changelog's beginning.
   * Only between transactions: buffered writes made against the old state must not be flushed.
   */
  async wipeStore(name: string): Promise<void> {
    const store = this.store(name);
    this.requireIdleTransaction('wipeStore', name);
    await store.engine.wipe();
    store.streamTime.ms = -Infinity;
  }

  /** Wipes every store of the task. */
  async wipe(): Promise<void> {
    this.requireIdleTransaction('wipe', '*');
    for (const name of this.stores.keys()) await this.wipeStore(name);
  }

  /** Discards uncommitted writes and closes the stores. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.taskTransaction.close();
    this.closed = true;
    // For the assignor, before the stores close (local-state-summary.ts); advisory, so never fatal.
    try {
      const logged = new Map(this.checkpointing.changelogs().map((c) => [c.store, this.checkpoint(c.store)]));
      if (logged.size > 0) writeLocalStateSummary(this, logged);
    } catch {
      // A read-only or full disk: the instance only looks further behind to the assignor.
    }
    const results = await Promise.allSettled([...this.stores.values()].map((store) => store.engine.close()));
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  private store(name: string): OpenStore {
    const store = this.stores.get(name);
    if (store === undefined) {
      throw new UnknownStoreError(`no store named '${name}' in this task`, {
        storeName: name,
        taskId: this.taskId,
      });
    }
    return store;
  }

  private storeOfKind(name: string, kind: StoreKind): OpenStore {
    const store = this.store(name);
    if (store.spec.kind !== kind) {
      throw new UnknownStoreError(`store '${name}' is a ${store.spec.kind} store, not ${kind}`, {
        storeName: name,
        taskId: this.taskId,
      });
    }
    return store;
  }

  private codec<K, V>(name: string, keySerde: Serde<K>, valueSerde: Serde<V>): StoreCodec<K, V> {
    return new StoreCodec(name, this.taskId, keySerde, valueSerde);
  }

  private requireIdleTransaction(operation: string, storeName: string): void {
    const transaction = this.taskTransaction;
    if (transaction.status !== 'open' || transaction.inRecord || transaction.bufferedWrites > 0) {
      throw new TransactionStateError(
        operation,
        transaction.status,
        'only between transactions, with no buffered writes',
        {
          storeName,
          taskId: this.taskId,
        },
      );
    }
  }
}

/**
 * A store's engine, for state/ itself and its tests. Not exported from state/index.ts, and the
 * lint rule on imports keeps everything outside state/ from reaching it: StoreEngine is private
 * to the state layer.
 */
export function storeEngineOf(manager: StateManager, name: string): StoreEngine {
  return manager['store'](name).engine;
}
