/**
 * The Node/V8 options an engine process should run with (NODE_OPTIONS, or the container's command).
 *
 * Left alone, V8 lets the heap grow to a large share of the machine's memory before collecting old
 * objects, so an instance's RSS grows far past what it keeps alive (about 100 MB for the engine
 * benchmark's 8 tasks and 100,000 accounts, against a 340 MB heap peak). The cap bounds it, with
 * room above the live heap so that full collections stay rare. See docs/operations.md for the
 * measurements behind these numbers.
 */
export const RECOMMENDED_NODE_OPTIONS: readonly string[] = [
  '--max-old-space-size=256',
  '--max-semi-space-size=16',
];

/**
 * glibc's malloc arenas for an engine process (the MALLOC_ARENA_MAX environment variable). glibc
 * gives threads that contend for malloc arenas of their own, up to 8 per core; the stream threads,
 * their collectors and the libuv pool (LevelDB) each end up with one, and freed memory scattered over
 * many arenas stays resident. Two arenas took 10–20 MB off the engine benchmark's peak RSS with two
 * stream threads, without a measurable cost in throughput (docs/operations.md).
 */
export const RECOMMENDED_MALLOC_ARENA_MAX = 2;

/**
 * Where distributions put jemalloc's shared library (Debian's and Ubuntu's `libjemalloc2`, which
 * Debian's redis-server package also installs; Alpine's `jemalloc`). Preloaded into an engine
 * process (LD_PRELOAD), it replaces glibc's malloc for LevelDB, the Kafka client's buffers and Node
 * itself: jemalloc returns freed pages to the system where glibc keeps them resident in its arenas.
 */
export const JEMALLOC_LIBRARY_PATHS: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
  '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2',
  '/usr/local/lib/libjemalloc.so.2',
  '/usr/lib/libjemalloc.so.2',
];

/** The first of JEMALLOC_LIBRARY_PATHS that exists: the jemalloc to preload, or undefined where there is none. */
export function jemallocLibrary(exists: (path: string) => boolean): string | undefined {
  return JEMALLOC_LIBRARY_PATHS.find((path) => exists(path));
}

/**
 * Stream threads for an instance with `cores` cores and `partitions` input partitions: one per core,
 * at most one per partition (a thread without a task only costs memory). One Node thread does all
 * of its stream thread's work, Kafka protocol included, where a Kafka Streams thread has the
 * clients' own threads beside it; so on a 2-core machine that also runs the broker, a second thread
 * took the engine benchmark from about 40,000–47,000 to 45,000–70,000 records/s at-least-once for
 * 15–30 MB more RSS (docs/operations.md).
 */
export function recommendedStreamThreads(cores: number, partitions: number): number {
  return Math.max(1, Math.min(32, Math.floor(cores), Math.floor(partitions)));
}
