import { ConfigError } from '../processor/index.ts';

/** `saldo run`'s flags for the ops server (env in parentheses). */
export interface OpsFlags {
  /** `--ops-port` (SALDO_OPS_PORT). */
  opsPort?: string;
}

/** Where the ops server (GET /metrics, /healthz, /readyz) listens. */
export interface OpsConfig {
  readonly host: string;
  /** 0: a free port chosen at start (tests); logged as `ops server listening`. */
  readonly port: number;
}

/** The port Prometheus' own client libraries default to: the chart's `http-ops` port. */
export const DEFAULT_OPS_PORT = 9464;
export const DEFAULT_OPS_HOST = '0.0.0.0';

/**
 * The ops server's settings from the environment (SALDO_OPS_PORT, SALDO_OPS_HOST) and flags,
 * checked at start-up: a port is an integer from 0 to 65535.
 */
export function opsConfigFrom(env: NodeJS.ProcessEnv, flags: OpsFlags): OpsConfig {
  const portText = flags.opsPort ?? env.SALDO_OPS_PORT;
  const port = portText === undefined || portText.trim() === '' ? DEFAULT_OPS_PORT : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(
      `invalid configuration: opsPort: '${portText}' is not a port from 0 to 65535 (--ops-port, SALDO_OPS_PORT)`,
    );
  }
  const host = env.SALDO_OPS_HOST?.trim() || DEFAULT_OPS_HOST;
  return { host, port };
}
