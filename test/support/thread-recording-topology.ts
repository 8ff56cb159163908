import { threadId } from 'node:worker_threads';
import type { Topology } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';

// On globalThis, not in this module: the engine imports a topology source by its URL, which need
// not give the test runner's instance of this module, but a thread has one global object.
const BUILDS = Symbol.for('saldo.test.topologyBuilds');

/** The threads (worker_threads' threadId) that built a threadRecordingTopology in this thread. */
export function topologyBuildsHere(): number[] {
  return ((globalThis as Record<symbol, number[] | undefined>)[BUILDS] ??= []);
}

/** A topology source for stream-thread tests: the counting topology, recording the building thread. */
export function threadRecordingTopology(args: { input: string; output: string }): Topology {
  topologyBuildsHere().push(threadId);
  return countingTopology({ input: args.input, output: args.output });
}
