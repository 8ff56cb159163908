import { isMainThread } from 'node:worker_threads';
import type { Topology } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';

/**
 * A topology source for stream-thread tests: the counting topology, in a thread that ends itself
 * with `code` after `exitAfterMs` (process.exit in a worker ends that thread only). Thread 0 runs
 * on the main thread, where it would end the test's process: there it only counts.
 */
export function exitingTopology(args: {
  input: string;
  output: string;
  exitAfterMs: number;
  code: number;
}): Topology {
  if (!isMainThread) setTimeout(() => process.exit(args.code), args.exitAfterMs);
  return countingTopology({ input: args.input, output: args.output });
}
