import type { StoreKind } from './changelog.ts';
import { StoreArgumentError } from './errors.ts';
import { assertSafeName } from './store-names.ts';

/** A store of the task: its name, kind, for windowed stores the retention, for TTL stores the TTL (ms). */
export interface StoreSpec {
  readonly name: string;
  readonly kind: StoreKind;
  readonly retentionMs?: number | undefined;
  readonly ttlMs?: number | undefined;
  /**
   * Whether the store takes a share of the task's read cache (default true). A store whose keys
   * are read about once (transaction ids) gains nothing from it and would only evict hot entries.
   */
  readonly cached?: boolean | undefined;
  /**
   * True: the store is written for (nearly) every record its task processes, so it gets a larger
   * LevelDB write buffer and a smaller block cache than the task's even share (memory-budget.ts
   * says why and how much).
   */
  readonly writtenPerRecord?: boolean | undefined;
  /**
   * False: the store has no changelog of its own, because an input topic is its changelog (a
   * table source's store). Processors get a read-only handle; the engine writes it through
   * `keyValueStoreWriter`, with local-only writes, and restores it from that topic. Default true.
   */
  readonly logged?: boolean | undefined;
}

/** Checks the stores of one task before any is opened. */
export function validateSpecs(options: {
  readonly taskId: string;
  readonly stores: readonly StoreSpec[];
}): void {
  const names = new Set<string>();
  for (const spec of options.stores) {
    const context = { storeName: spec.name, taskId: options.taskId };
    assertSafeName('store name', spec.name, context);
    if (names.has(spec.name)) throw new StoreArgumentError('store defined twice', context);
    names.add(spec.name);
    if (spec.kind === 'windowed') {
      const retention = spec.retentionMs;
      if (retention === undefined || !Number.isSafeInteger(retention) || retention <= 0) {
        throw new StoreArgumentError(
          `a windowed store needs a positive whole retentionMs, got ${retention}`,
          context,
        );
      }
    } else if (spec.retentionMs !== undefined) {
      throw new StoreArgumentError(
        'retentionMs applies to windowed stores only (a key-value store with a TTL is ttl-key-value)',
        context,
      );
    }
    if (spec.logged === false && spec.kind !== 'key-value') {
      throw new StoreArgumentError(
        'only a key-value store can have an input topic as its changelog',
        context,
      );
    }
    if (spec.kind === 'ttl-key-value') {
      const ttl = spec.ttlMs;
      if (ttl === undefined || !Number.isSafeInteger(ttl) || ttl <= 0) {
        throw new StoreArgumentError(`a TTL store needs a positive whole ttlMs, got ${ttl}`, context);
      }
    } else if (spec.ttlMs !== undefined) {
      throw new StoreArgumentError('ttlMs applies to ttl-key-value stores only', context);
    }
  }
}
