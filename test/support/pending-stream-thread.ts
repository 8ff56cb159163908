import type { StreamsConfigInput } from '../../processor/index.ts';
import type { FromStreamThread, ToStreamThread } from '../../processor/stream-threads/protocol.ts';
import { runStreamThread } from '../../processor/stream-threads/runner.ts';

/** A stream thread's side of the protocol, run in the test's own thread, and what it posted. */
export interface PendingStreamThread {
  /** Hands the thread a message, as StreamThreadsApp does. */
  receive: (message: ToStreamThread) => void;
  /** Every message the thread posted so far, in order. */
  readonly posted: FromStreamThread[];
}

/**
 * Stream thread 1 over a topology that never finishes building (./pending-topology.ts), so it
 * stays starting: for what a thread answers before its app is built.
 */
export function runPendingStreamThread(config: StreamsConfigInput): PendingStreamThread {
  const posted: FromStreamThread[] = [];
  const receive = runStreamThread(
    {
      source: {
        module: new URL('./pending-topology.ts', import.meta.url).href,
        exportName: 'pendingTopology',
        args: null,
      },
      postCommitHooks: [],
      config,
      thread: 1,
      recordCommitLatencies: false,
    },
    (message) => posted.push(message),
  );
  return { receive, posted };
}
