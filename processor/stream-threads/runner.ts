/**
 * One stream thread's work, wherever it runs: builds the topology and the post-commit hooks from
 * their sources, runs one StreamsApp (one group member with its own clients and tasks) and reports
 * to StreamThreadsApp through `post`. Thread 0 runs it on the main thread, every other thread in a
 * worker (thread.ts); both speak the same messages.
 */
import { StreamsApp } from '../app.ts';
import { describeError } from '../errors.ts';
import { EngineMetrics } from '../metrics.ts';
import type { PostCommitHook } from '../post-commit.ts';
import { NOT_OWNER } from '../queries/index.ts';
import type { Topology } from '../topology.ts';
import type { Registry } from 'prom-client';
import type { FromStreamThread, ModuleFactory, StreamThreadData, ToStreamThread } from './protocol.ts';

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** What a module factory is handed beside its args: the thread's metrics registry, for its own metrics. */
export interface ModuleFactoryContext {
  metrics: Registry;
}

async function build<T>(factory: ModuleFactory, context: ModuleFactoryContext): Promise<T> {
  const mod = (await import(factory.module)) as Record<string, unknown>;
  const fn = mod[factory.exportName];
  if (typeof fn !== 'function')
    throw new Error(`${factory.module} has no function export '${factory.exportName}'`);
  return (await (fn as (args: unknown, context: ModuleFactoryContext) => T | Promise<T>)(
    factory.args,
    context,
  )) as T;
}

/**
 * Starts the thread's StreamsApp and returns the receiver of StreamThreadsApp's messages. It posts
 * `running` once the app runs, `failed` if it cannot start or fails for good later, `metrics` in
 * answer to each request for them, and `stopped` (with its metrics) after a `stop`, which may come
 * at any moment, even before the app is built.
 */
export function runStreamThread(
  data: StreamThreadData,
  post: (message: FromStreamThread) => void,
): (message: ToStreamThread) => void {
  const metrics = new EngineMetrics({
    app: String(data.config.applicationId),
    instance_id: String(data.config.processId ?? data.config.instanceId),
    thread: `stream-thread-${data.thread}`,
  });
  const commitLatenciesMs = data.recordCommitLatencies ? metrics.recordCommitLatencies() : [];
  let app: StreamsApp | undefined;
  let stopRequested = false;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await app?.stop();
    } catch (error) {
      app?.logger.error({ error: describeError(error) }, 'stream thread: stop failed');
    }
    post({ type: 'stopped', metrics: await metrics.registry.getMetricsAsJSON(), commitLatenciesMs });
  };

  const start = async (): Promise<void> => {
    const context = { metrics: metrics.registry };
    const topology = await build<Topology>(data.source, context);
    const hooks = await Promise.all(data.postCommitHooks.map((h) => build<PostCommitHook>(h, context)));
    if (stopRequested) return;
    const running = new StreamsApp(topology, data.config, {
      metrics,
      onRestored: (taskId, summary) =>
        post({ type: 'restored', taskId, total: summary.total, elapsedMs: summary.elapsedMs }),
      onFailed: (error) => post({ type: 'failed', message: messageOf(error) }),
      onRouting: (routing) => post({ type: 'routing', routing }),
    });
    for (const hook of hooks) running.onCommitted(hook);
    app = running;
    await running.start();
    if (!stopRequested) post({ type: 'running', partitions: running.partitionCount });
  };

  const started = start().catch((error: unknown) => {
    if (!stopRequested) post({ type: 'failed', message: messageOf(error) });
  });

  return (message) => {
    if (message.type === 'metrics') {
      // The registry exists from the start, so a thread answers even before its app is built.
      const { requestId } = message;
      void metrics.registry
        .getMetricsAsJSON()
        .then((values) => post({ type: 'metrics', requestId, metrics: values }));
      return;
    }
    if (message.type === 'readiness') {
      // An app not built yet is starting: it has no assignment and no task.
      const readiness = app?.memberReadiness() ?? { state: 'starting', joined: false, tasks: [] };
      post({ type: 'readiness', requestId: message.requestId, readiness });
      return;
    }
    if (message.type === 'query') {
      const { requestId, partition, reads } = message;
      // An app not built yet, or stopped, runs no task.
      const reading = app?.readLocal(partition, reads) ?? Promise.resolve(NOT_OWNER);
      reading.then(
        (answer) => post({ type: 'query', requestId, answer }),
        (error: unknown) => post({ type: 'query-failed', requestId, message: messageOf(error) }),
      );
      return;
    }
    if (stopRequested) return;
    stopRequested = true;
    // An app still starting is stopped once its start has settled: StreamsApp.stop() waits for nothing.
    void started.then(stop);
  };
}
