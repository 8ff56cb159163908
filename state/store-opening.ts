import { DEFAULT_CACHE_MAX_BYTES, cacheShareOf, levelDbMemoryOf } from './memory-budget.ts';
import { StoreCorruptionError } from './errors.ts';
import { StoreEngine } from './store-engine.ts';
import type { StoreLocation } from './store-names.ts';
import type { StoreSpec } from './store-spec.ts';
import { ObservedStreamTime, buildWindowIndexIfMissing } from './windowed-store.ts';
import type { StateManagerOptions } from './state-manager.ts';

/** A task's store as the state manager holds it. */
export interface OpenStore {
  readonly spec: StoreSpec;
  readonly engine: StoreEngine;
  readonly streamTime: ObservedStreamTime;
}

/**
 * Opens every store of a task, each with its share of the memory budget. A store whose files are
 * corrupt or of an unknown layout is wiped and opened empty (the changelog is the source of truth)
 * and listed in `wiped`; if any store cannot be opened, those opened are closed again.
 */
export async function openStores(
  options: StateManagerOptions,
): Promise<{ stores: Map<string, OpenStore>; wiped: string[] }> {
  const wiped: string[] = [];
  const cacheShare = cacheShareOf(options.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES, options.stores);
  const levelDbMemory = levelDbMemoryOf(options.stores);
  const opening = options.stores.map(async (spec): Promise<OpenStore> => {
    const location: StoreLocation = { ...options, storeName: spec.name };
    const engineOptions = { cacheMaxBytes: cacheShare(spec), levelDb: levelDbMemory(spec) };
    const engine = await StoreEngine.open(location, engineOptions).catch(async (error: unknown) => {
      if (!(error instanceof StoreCorruptionError)) throw error;
      wiped.push(spec.name);
      await StoreEngine.destroy(location);
      return StoreEngine.open(location, engineOptions);
    });
    // A windowed store written before stores kept a time index gets one, once.
    if (spec.kind === 'windowed') {
      await buildWindowIndexIfMissing(engine).catch(async (error: unknown) => {
        await engine.close().catch(() => undefined);
        throw error;
      });
    }
    return { spec, engine, streamTime: new ObservedStreamTime() };
  });
  const results = await Promise.allSettled(opening);
  const opened = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.allSettled(opened.map((store) => store.engine.close()));
    throw failure.reason;
  }
  const stores = new Map(opened.map((store) => [store.spec.name, store]));
  return { stores, wiped };
}
