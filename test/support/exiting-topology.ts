import type { Topology } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';

/**
 * A topology source for stream-thread tests: the counting topology, in a thread that ends itself
 * with `code` after `exitAfterMs` (process.exit in a worker ends that thread only).
 */
export function exitingTopology(args: {
  input: string;
  output: string;
  exitAfterMs: number;
  code: number;
}): Topology {
  setTimeout(() => process.exit(args.code), args.exitAfterMs);
  return countingTopology({ input: args.input, output: args.output });
}
