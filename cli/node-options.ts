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
