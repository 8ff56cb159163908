/**
 * A stream thread in a worker (worker_threads entry): runs runner.ts and speaks to StreamThreadsApp
 * through the worker's port.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { FromStreamThread, StreamThreadData, ToStreamThread } from './protocol.ts';
import { runStreamThread } from './runner.ts';

function threadPort(): MessagePort {
  if (!parentPort) throw new Error('processor/stream-threads/thread.ts runs only as a worker thread');
  return parentPort;
}

const port = threadPort();
const receive = runStreamThread(workerData as StreamThreadData, (message: FromStreamThread) =>
  port.postMessage(message),
);
port.on('message', (message: ToStreamThread) => receive(message));
