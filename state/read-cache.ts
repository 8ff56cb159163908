/**
 * A bounded cache of one store's entries as they are in LevelDB (Kafka Streams keeps a record
 * cache for the same reason): hot keys are read from memory instead of through a native LevelDB
 * get on every record. When full, it drops the least recently used entries (approximately: see
 * #evictOne).
 *
 * It holds committed state only. Uncommitted writes live in the task transaction's write buffer
 * and reach the cache only when their LevelDB batch has succeeded, so a rolled-back record or an
 * aborted commit can never leave anything here. The store engine is the only writer of LevelDB
 * and keeps the cache in step with every batch it applies (see StoreEngine.writeBatch).
 *
 * Keys and values are kept as latin1 strings (one character per byte): a compact copy that owns
 * its memory, unlike a Buffer sliced from Node's shared pool, which would pin the whole slab.
 * `null` records a key known to be absent, so misses are cached too.
 */
export class ReadCache {
  // Map iteration order is insertion order, oldest first. A hit only marks its entry as used (a
  // property write, where moving it to the end would cost a Map delete and insert); eviction gives
  // a used entry a second chance by moving it to the end unmarked (the CLOCK approximation of LRU).
  readonly #entries = new Map<string, CacheEntry>();
  // Kept across evictions: each eviction removes what the iterator just passed, so it always
  // points at the oldest entry. A fresh iterator per eviction would step over every deleted slot
  // at the front of V8's table again.
  #oldest: Iterator<[string, CacheEntry]> | undefined;
  #maxBytes: number;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  /** `maxBytes`: a whole, non-negative number (the store engine checks it). */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The bound on `bytes`; 0 disables the cache. */
  get maxBytes(): number {
    return this.#maxBytes;
  }

  /** Approximate heap bytes held: keys, values and a fixed overhead per entry. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Lookups answered from the cache, since it was created. */
  get hits(): number {
    return this.#hits;
  }

  /** Lookups the cache could not answer, since it was created. */
  get misses(): number {
    return this.#misses;
  }

  /** The cached value (null: known absent), or undefined when the key is not cached. */
  lookup(key: string): string | null | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses += 1;
      return undefined;
    }
    this.#hits += 1;
    entry.used = true;
    return entry.value;
  }

  /** Caches the key's value (null: known absent) as the most recently used entry. */
  store(key: string, value: string | null): void {
    const size = entryBytes(key, value);
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (size > this.#maxBytes) {
        this.forget(key);
        return;
      }
      // Replaced in place and marked used: as good as moving it to the end, and cheaper.
      this.#bytes += size - entryBytes(key, entry.value);
      entry.value = value;
      entry.used = true;
    } else {
      if (size > this.#maxBytes) return;
      this.#entries.set(key, { value, used: false });
      this.#bytes += size;
    }
    while (this.#bytes > this.#maxBytes) this.#evictOne();
  }

  /** Drops the key, if cached. */
  forget(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= entryBytes(key, entry.value);
  }

  clear(): void {
    this.#entries.clear();
    this.#oldest = undefined;
    this.#bytes = 0;
  }

  /** Changes the bound, evicting the least recently used entries to fit. */
  resize(maxBytes: number): void {
    this.#maxBytes = maxBytes;
    if (maxBytes === 0) this.clear();
    while (this.#bytes > maxBytes) this.#evictOne();
  }

  // Evicts the oldest entry not used since it was last passed; used ones move to the end. Ends
  // within two rounds, since every entry passed over is unmarked.
  #evictOne(): void {
    for (;;) {
      let next = this.#oldest?.next();
      if (next === undefined || next.done === true) {
        // Exhausted (an iterator never sees entries added after it ended): start again.
        this.#oldest = this.#entries.entries();
        next = this.#oldest.next();
        if (next.done === true) return;
      }
      const [key, entry] = next.value;
      this.#entries.delete(key);
      if (entry.used) {
        entry.used = false;
        this.#entries.set(key, entry);
        continue;
      }
      this.#bytes -= entryBytes(key, entry.value);
      return;
    }
  }
}

interface CacheEntry {
  value: string | null;
  // Read or rewritten since the eviction hand last passed it.
  used: boolean;
}

// Heap cost of one entry beyond its characters (string headers, the entry object, the Map's slot
// and table share), measured on Node 24 at about 115 bytes; rounded up so that `bytes` does not
// undercount.
const ENTRY_OVERHEAD_BYTES = 128;

function entryBytes(key: string, value: string | null): number {
  return key.length + (value === null ? 0 : value.length) + ENTRY_OVERHEAD_BYTES;
}
