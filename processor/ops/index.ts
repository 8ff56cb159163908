// Operations: the HTTP server for probes and scrapes, and what it decides. Everything else in
// processor/ops/ is private to it.
export { METRICS_CONTENT_TYPE, OpsServer, OpsServerError, type OpsServerOptions } from './ops-server.ts';
export { isAlive, readinessOf, type MemberReadiness, type Readiness } from './readiness.ts';
