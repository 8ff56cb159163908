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
