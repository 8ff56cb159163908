import {
  InterimGroupRouting,
  QueryServer,
  parseInterimPeers,
  type KeyQueryRoute,
  type Logger,
  type QueryTarget,
  type StreamsConfig,
} from '../processor/index.ts';
import type { TopologySpec } from '../topologies/index.ts';
import { productQueryRoutes } from '../topologies/queries/account-queries.ts';
import { operatorAdapter } from './operator-adapter.ts';

/** The query API of a running `saldo run`, and whatever keeps its routing. */
export interface RunningQueries {
  stop(): Promise<void>;
}

/** The queries a topology answers: the product's balance and velocity; none for the counting topology. */
function routesOf(spec: TopologySpec): KeyQueryRoute[] {
  return spec.name === 'product' ? productQueryRoutes(spec.settings) : [];
}

/**
 * Starts the query server on config.applicationServer's port before the app joins its group (a
 * port already taken stops the start at once). `interimPeers` (SALDO_INTERIM_QUERY_PEERS) starts
 * the interim routing from the group's description; without it, an instance answers for its own
 * tasks only until the assignor sends routing.
 */
export async function startQueries(options: {
  config: StreamsConfig & { applicationServer: string };
  spec: TopologySpec;
  target: QueryTarget;
  logger: Logger;
  interimPeers: string | undefined;
}): Promise<RunningQueries> {
  const { config, target, logger } = options;
  const peers = options.interimPeers === undefined ? undefined : parseInterimPeers(options.interimPeers);
  if (peers !== undefined && !peers.has(config.instanceId))
    peers.set(config.instanceId, config.applicationServer);
  const server = new QueryServer({
    applicationServer: config.applicationServer,
    target,
    routes: routesOf(options.spec),
    logger,
  });
  await server.start();
  if (peers === undefined) return { stop: () => server.stop() };
  const adapter = operatorAdapter(config, 'query-routing');
  const routing = new InterimGroupRouting({
    applicationId: config.applicationId,
    admin: await adapter.admin(),
    peers,
    onRouting: (r) => target.onRouting(r),
    logger,
    intervalMs: 1_000,
  });
  routing.start();
  return {
    async stop() {
      routing.stop();
      await Promise.all([server.stop(), adapter.close()]);
    },
  };
}
