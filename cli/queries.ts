import {
  QueryServer,
  type KeyQueryRoute,
  type Logger,
  type QueryTarget,
  type StreamsConfig,
} from '../processor/index.ts';
import type { TopologySpec } from '../topologies/index.ts';
import { productQueryRoutes } from '../topologies/queries/account-queries.ts';

/** The query API of a running `saldo run`. */
export interface RunningQueries {
  stop(): Promise<void>;
}

/** The queries a topology answers: the product's balance and velocity; none for the counting topology. */
function routesOf(spec: TopologySpec): KeyQueryRoute[] {
  return spec.name === 'product' ? productQueryRoutes(spec.settings) : [];
}

/**
 * Starts the query server on config.applicationServer's port before the app joins its group (a
 * port already taken stops the start at once). The routing comes with each assignment: the
 * assignor tells every member which instance's endpoint runs each partition.
 */
export async function startQueries(options: {
  config: StreamsConfig & { applicationServer: string };
  spec: TopologySpec;
  target: QueryTarget;
  logger: Logger;
  /** The instance's metrics, Prometheus text (GET /metrics). */
  metrics: () => Promise<string>;
}): Promise<RunningQueries> {
  const { config, target, logger } = options;
  const server = new QueryServer({
    applicationServer: config.applicationServer,
    target,
    routes: routesOf(options.spec),
    logger,
    metrics: options.metrics,
  });
  await server.start();
  return { stop: () => server.stop() };
}
