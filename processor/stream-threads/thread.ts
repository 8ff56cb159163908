/**
 * A stream thread (worker_threads entry): builds the topology from its source, runs one StreamsApp
 * (one group member with its own clients and tasks) and reports to StreamThreadsApp in the main thread.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { StreamsApp } from '../app.ts';
import { describeError } from '../errors.ts';
import { EngineMetrics } from '../metrics.ts';
import type { Topology } from '../topology.ts';
import type { PostCommitHook } from '../task-manager.ts';
import type { FromStreamThread, ModuleFactory, StreamThreadData, ToStreamThread } from './protocol.ts';

function threadPort(): MessagePort {
  if (!parentPort) throw new Error('processor/stream-threads/thread.ts runs only as a worker thread');
  return parentPort;
}

const port = threadPort();
const data = workerData as StreamThreadData;
const post = (message: FromStreamThread) => port.postMessage(message);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function build<T>(factory: ModuleFactory): Promise<T> {
  const mod = (await import(factory.module)) as Record<string, unknown>;
  const fn = mod[factory.exportName];
  if (typeof fn !== 'function')
    throw new Error(`${factory.module} has no function export '${factory.exportName}'`);
  return (await (fn as (args: unknown) => T | Promise<T>)(factory.args)) as T;
}

async function main(): Promise<void> {
  const topology = await build<Topology>(data.source);
  const hooks = await Promise.all(data.postCommitHooks.map((h) => build<PostCommitHook>(h)));
  const metrics = new EngineMetrics({
    app: String(data.config.applicationId),
    thread: `stream-thread-${data.thread}`,
  });
  const commitLatenciesMs = data.recordCommitLatencies ? metrics.recordCommitLatencies() : [];
  const app = new StreamsApp(topology, data.config, {
    metrics,
    onRestored: (taskId, summary) =>
      post({ type: 'restored', taskId, total: summary.total, elapsedMs: summary.elapsedMs }),
    onFailed: (error) => post({ type: 'failed', message: messageOf(error) }),
  });
  for (const hook of hooks) app.onCommitted(hook);
  port.on('message', (message: ToStreamThread) => {
    if (message.type !== 'stop') return;
    void (async () => {
      try {
        await app.stop();
      } catch (error) {
        app.logger.error({ error: describeError(error) }, 'stream thread: stop failed');
      }
      post({ type: 'stopped', metrics: await metrics.registry.getMetricsAsJSON(), commitLatenciesMs });
    })();
  });
  await app.start();
  post({ type: 'running' });
}

main().catch((error: unknown) => post({ type: 'failed', message: messageOf(error) }));
