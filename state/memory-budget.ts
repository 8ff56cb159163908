import type { StoreSpec } from './store-spec.ts';

// How much memory a task's stores may take: the read cache on the V8 heap, LevelDB's outside it.

/**
 * Default bound (approximate heap bytes) of the read cache of a task, shared evenly by its cached
 * stores, and of a store engine opened on its own. Enough for some 13,000 entries of the counting
 * topology, the 12,500 keys a task of the engine benchmark has (100,000 accounts on 8 partitions);
 * 8 MiB let that benchmark's 1M-key run pass 400 MB of RSS. With 1,000,000 accounts (the product
 * benchmark) few reads hit any cache this size: 4 MiB cost 20-40 MB more RSS than 2 MiB there, for
 * 5% less throughput (the cache's churn), and took the instance past its 500 MB target
 * (BENCHMARKS.md, 2026-12-04).
 */
export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 * 1024;

// LevelDB's own memory, outside the V8 heap: its block cache and its memtable (up to two while one
// is flushed). classic-level's defaults (8 MiB and 4 MiB) cost an 8-task instance about 130 MB; hot
// keys are served by the read cache above, so less suffices. Measured on the 1M-key benchmark:
// 8 + 4 -> 2 + 2 MiB took peak RSS from 401 to 379 MB, restore still 240k records/s; 2 -> 1 MiB of
// memtable took 12-16 MB more off the exactly-once run with two stream threads, at the same CPU per
// record (BENCHMARKS.md, 2026-11-24). This is a task's budget, shared by its stores (each gets at
// least the floor): the product topology's three stores per task with 2 + 1 MiB each took its
// benchmark 40 MB above a split budget, at the same throughput (BENCHMARKS.md, 2026-12-04).
const LEVELDB_TASK_BLOCK_CACHE_BYTES = 2 * 1024 * 1024;
const LEVELDB_TASK_WRITE_BUFFER_BYTES = 1024 * 1024;
const LEVELDB_MIN_STORE_BYTES = 512 * 1024;

/**
 * The write buffer (memtable) of a store written for nearly every record (StoreSpec's
 * writtenPerRecord), instead of its even share. Keys spread over the whole store (accounts,
 * transaction ids) make every level-0 compaction rewrite most of level 1, so the rewritten bytes
 * per record fall with the memtable's size: with 512 KiB memtables, one product task's LevelDB
 * compactions wrote 30× what its memtables flushed for transaction ids, 19× for fraud profiles and
 * 13× for balances, and took 55 µs of background CPU per transaction; 2 MiB halved that, 4 and 8 MiB
 * added little (bench/pipeline-core.ts, 300,000 transactions of 125,000 accounts, BENCHMARKS.md
 * 2026-12-07).
 */
export const LEVELDB_PER_RECORD_WRITE_BUFFER_BYTES = 2 * 1024 * 1024;

/**
 * The block cache of such a store, smaller than the even share: its reads spread over the whole
 * store too, so a cache of a few percent of its blocks serves a few percent of them, and the
 * operating system's page cache holds the files anyway. 128 KiB instead of 512 KiB cost nothing
 * measurable (pipeline-core, three interleaved pairs: 145.9 / 143.9 / 154.6 µs per transaction
 * with 512 KiB, 130.4 / 142.6 / 144.3 with 128 KiB, BENCHMARKS.md 2026-12-07) and pays for part of
 * the larger write buffer.
 */
export const LEVELDB_PER_RECORD_BLOCK_CACHE_BYTES = 128 * 1024;

export interface LevelDbMemory {
  blockCacheBytes: number;
  writeBufferBytes: number;
}

/**
 * Each store's LevelDB memory: the even share, or for a store written per record a larger write
 * buffer and a smaller block cache.
 */
export function levelDbMemoryOf(stores: readonly StoreSpec[]): (spec: StoreSpec) => LevelDbMemory {
  const even = levelDbMemoryShare(stores.length);
  const perRecord = {
    blockCacheBytes: Math.min(even.blockCacheBytes, LEVELDB_PER_RECORD_BLOCK_CACHE_BYTES),
    writeBufferBytes: Math.max(even.writeBufferBytes, LEVELDB_PER_RECORD_WRITE_BUFFER_BYTES),
  };
  return (spec) => (spec.writtenPerRecord === true ? perRecord : even);
}

/** A store's share of its task's LevelDB memory, when the task has `stores` stores. */
export function levelDbMemoryShare(stores: number): LevelDbMemory {
  const share = (bytes: number) => Math.max(LEVELDB_MIN_STORE_BYTES, Math.floor(bytes / Math.max(1, stores)));
  return {
    blockCacheBytes: share(LEVELDB_TASK_BLOCK_CACHE_BYTES),
    writeBufferBytes: share(LEVELDB_TASK_WRITE_BUFFER_BYTES),
  };
}

/** Each store's share of the task's read cache: an even split among the stores that are cached. */
export function cacheShareOf(taskBytes: number, stores: readonly StoreSpec[]): (spec: StoreSpec) => number {
  const cached = stores.filter((spec) => spec.cached !== false).length;
  const share = cached === 0 ? 0 : Math.floor(taskBytes / cached);
  return (spec) => (spec.cached === false ? 0 : share);
}
