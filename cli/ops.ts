import { Registry, collectDefaultMetrics } from 'prom-client';
import {
  OpsServer,
  StreamsApp,
  isAlive,
  readinessOf,
  type Logger,
  type Readiness,
  type StreamThreadsApp,
  type StreamsConfig,
} from '../processor/index.ts';
import type { OpsConfig } from './ops-config.ts';

/** The ops server of a running `saldo run`. */
export interface RunningOps {
  /** The port it listens on (the one chosen, when configured as 0). */
  readonly port: number;
  stop(): Promise<void>;
}

type App = StreamsApp | StreamThreadsApp;

/**
 * The instance's metrics in Prometheus' text format: the engine's (a StreamThreadsApp's threads
 * summed, each series labelled with its thread) and Node's process metrics (process_*, nodejs_*,
 * once per process), every series labelled with the app and instance.
 */
export function instanceMetrics(app: App, config: StreamsConfig): () => Promise<string> {
  const processRegistry = new Registry();
  processRegistry.setDefaultLabels({
    app: config.applicationId,
    instance_id: config.processId ?? config.instanceId,
  });
  collectDefaultMetrics({ register: processRegistry });
  return async () => {
    const engine = app instanceof StreamsApp ? app.metrics.registry : await app.metrics();
    const [engineText, processText] = await Promise.all([engine.metrics(), processRegistry.metrics()]);
    return `${engineText}\n${processText}`;
  };
}

/** The instance's readiness: the app's state, and each member's (thread's) assignment and tasks. */
export async function instanceReadiness(app: App): Promise<Readiness> {
  const members = app instanceof StreamsApp ? [app.memberReadiness()] : await app.memberReadiness();
  return readinessOf(app.state, members);
}

/**
 * Starts the ops server (GET /metrics, /healthz, /readyz) before the app starts, so that probes
 * are answered during the start and the first restores. `failed`: whether the instance has
 * failed for good (it is stopping, and will exit non-zero).
 */
export async function startOps(options: {
  ops: OpsConfig;
  app: App;
  metrics: () => Promise<string>;
  failed: () => boolean;
  logger: Logger;
}): Promise<RunningOps> {
  const { app } = options;
  const server = new OpsServer({
    host: options.ops.host,
    port: options.ops.port,
    metrics: options.metrics,
    readiness: () => instanceReadiness(app),
    liveness: () => ({ alive: isAlive(app.state, options.failed()), state: app.state }),
    logger: options.logger,
  });
  const port = await server.start();
  return { port, stop: () => server.stop() };
}
