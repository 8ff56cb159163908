/**
 * The Node/V8 options an engine process should run with (NODE_OPTIONS, or the container's command).
 *
 * Left alone, V8 lets the heap grow to a large share of the machine's memory before collecting old
 * objects, so an instance's RSS grows far past what it keeps alive (about 70 MB for the engine
 * benchmark's 8 tasks, against a 340 MB heap peak). The old-space cap bounds it; a larger young
 * generation lets records that live one commit interval die young instead of being promoted, which
 * keeps the cap from costing CPU. See docs/operations.md.
 */
export const RECOMMENDED_NODE_OPTIONS: readonly string[] = [
  '--max-old-space-size=192',
  '--max-semi-space-size=32',
];
