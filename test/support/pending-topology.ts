import type { Topology } from '../../processor/index.ts';

/** A topology source for stream-thread tests that never finishes building: the thread stays starting. */
export function pendingTopology(): Promise<Topology> {
  return new Promise<Topology>(() => undefined);
}
