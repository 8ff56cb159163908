import type { Serde, StoreKind } from '../state/index.ts';
import { TopologyError } from './errors.ts';

/**
 * Typed store references. A store is declared once, as a value that carries its name, kind and
 * serdes, and so its key and value types:
 *
 *   const totals = keyValueStore('totals', { keySerde: stringSerde, valueSerde: totalsSerde });
 *
 * A topology adds it (`addStore(totals)`), each processor that uses it lists it
 * (`stores: [totals]`), and the processor reads it through it: `ctx.store(totals)` is a
 * `KeyValueStore<string, Totals>`, with no name repeated and no cast. A ref is plain, frozen data;
 * a topology resolves only the refs it was given (the very objects, not their names), so a ref
 * declared elsewhere that happens to share a name is refused.
 */
export interface KeyValueStoreRef<K, V> {
  readonly kind: 'key-value';
  /** Names the store's changelog topic and directory: keep it once data exists. */
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /** False: the store takes no share of the task's read cache (keys read about once). */
  readonly cached?: false;
  /** True: written for (nearly) every record; LevelDB gets a larger write buffer, a smaller block cache (StoreSpec). */
  readonly writtenPerRecord?: true;
}

/** A key-value store whose entries expire on the task's stream time, `ttlMs` after their put. */
export interface TtlKeyValueStoreRef<K, V> {
  readonly kind: 'ttl-key-value';
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly ttlMs: number;
  readonly cached?: false;
  readonly writtenPerRecord?: true;
}

/** One value per key and window start; windows older than `retentionMs` of stream time expire. */
export interface WindowedStoreRef<K, V> {
  readonly kind: 'windowed';
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  readonly retentionMs: number;
}

export type StoreRef<K = unknown, V = unknown> =
  KeyValueStoreRef<K, V> | TtlKeyValueStoreRef<K, V> | WindowedStoreRef<K, V>;

interface StoreSerdes<K, V> {
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
}

/** How a key-value store shares its task's memory: the read cache, LevelDB's (see StoreSpec). */
interface StoreHints {
  cached?: boolean;
  writtenPerRecord?: boolean;
}

function hintsOf(opts: StoreHints): { cached?: false; writtenPerRecord?: true } {
  return {
    ...(opts.cached === false ? { cached: false } : {}),
    ...(opts.writtenPerRecord === true ? { writtenPerRecord: true } : {}),
  };
}

/**
 * `cached: false` keeps the store out of the task's read cache (for keys read about once);
 * `writtenPerRecord: true` gives it a larger LevelDB write buffer and a smaller block cache (a store
 * written for every record).
 */
export function keyValueStore<K, V>(
  name: string,
  opts: StoreSerdes<K, V> & StoreHints,
): KeyValueStoreRef<K, V> {
  return Object.freeze({
    kind: 'key-value',
    name,
    keySerde: opts.keySerde,
    valueSerde: opts.valueSerde,
    ...hintsOf(opts),
  });
}

/** Expiring reads only what has expired; `get` hides expired entries whenever a sweep runs. */
export function ttlKeyValueStore<K, V>(
  name: string,
  opts: StoreSerdes<K, V> & StoreHints & { ttlMs: number },
): TtlKeyValueStoreRef<K, V> {
  return Object.freeze({
    kind: 'ttl-key-value',
    name,
    keySerde: opts.keySerde,
    valueSerde: opts.valueSerde,
    ttlMs: opts.ttlMs,
    ...hintsOf(opts),
  });
}

export function windowedStore<K, V>(
  name: string,
  opts: StoreSerdes<K, V> & { retentionMs: number },
): WindowedStoreRef<K, V> {
  return Object.freeze({
    kind: 'windowed',
    name,
    keySerde: opts.keySerde,
    valueSerde: opts.valueSerde,
    retentionMs: opts.retentionMs,
  });
}

/** A store as a built topology holds it: flat, for the task and the app to open and describe. */
export interface StoreDefinition {
  /** The ref it was declared with: only this very ref reads it. */
  readonly ref: StoreRef;
  readonly name: string;
  readonly kind: StoreKind;
  readonly keySerde: Serde<unknown>;
  readonly valueSerde: Serde<unknown>;
  readonly retentionMs?: number;
  readonly ttlMs?: number;
  /** False: the store takes no share of the task's read cache (keys read about once). */
  readonly cached?: boolean;
  /** True: written for (nearly) every record (a larger LevelDB write buffer, a smaller block cache). */
  readonly writtenPerRecord?: boolean;
  /** The table source that fills this store: its input topic is the store's changelog. */
  readonly table?: string;
}

const STORE_NAME = /^[A-Za-z0-9._-]+$/;

/** Checks a ref at the topology's door (refs are plain data: one may be written by hand). */
export function storeDefinitionOf(ref: StoreRef, table?: string): StoreDefinition {
  // Store names become topic names (changelogs): keep them to what Kafka accepts.
  if (!STORE_NAME.test(ref.name))
    throw new TopologyError(`store name '${ref.name}' may use only letters, digits, '.', '_' and '-'`);
  if (ref.kind === 'ttl-key-value' && !(Number.isSafeInteger(ref.ttlMs) && ref.ttlMs > 0))
    throw new TopologyError(`store '${ref.name}' needs a positive whole ttlMs, got ${ref.ttlMs}`);
  if (ref.kind === 'windowed' && !(ref.retentionMs > 0))
    throw new TopologyError(`windowed store '${ref.name}' needs a positive retentionMs`);
  return {
    ref,
    name: ref.name,
    kind: ref.kind,
    keySerde: ref.keySerde,
    valueSerde: ref.valueSerde,
    ...(ref.kind === 'ttl-key-value' ? { ttlMs: ref.ttlMs } : {}),
    ...(ref.kind === 'windowed' ? { retentionMs: ref.retentionMs } : {}),
    ...(ref.kind !== 'windowed' && ref.cached === false ? { cached: false } : {}),
    ...(ref.kind !== 'windowed' && ref.writtenPerRecord === true ? { writtenPerRecord: true } : {}),
    ...(table === undefined ? {} : { table }),
  };
}
