// Interactive queries: the public surface of processor/queries/. Everything else in it is private.
export { endpointProblem, parseEndpoint, type Endpoint } from './endpoint.ts';
export { decideRoute, routingOf, RoutingTable, type QueryRouting, type RouteDecision } from './routing.ts';
export {
  NOT_OWNER,
  RESTORING,
  readTaskState,
  type LocalRead,
  type LocalReader,
  type QueryTarget,
  type StoreRead,
  type TaskView,
} from './local-read.ts';
export { MAX_KEY_BYTES, type KeyQueryRoute, type QueryContext, type QueryResponse } from './routes.ts';
export {
  FORWARDED_FROM_HEADER,
  SERVED_BY_HEADER,
  QueryForwardError,
  httpForwarder,
  type ForwardedAnswer,
  type Forwarder,
} from './forwarder.ts';
export {
  QueryHandler,
  type QueryAnswer,
  type QueryRequest,
  type UnavailableReason,
} from './query-handler.ts';
export {
  DEFAULT_FORWARD_TIMEOUT_MS,
  DEFAULT_RETRY_AFTER_SECONDS,
  QueryServer,
  QueryServerError,
  type QueryServerOptions,
} from './query-server.ts';
