// Options, defaults and the on-disk layout of the local platform (Kafka, schema registry, Redis).
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_USER, secretsPaths } from './secrets.ts';

/** The repository root: two levels up from scripts/platform/. */
export const REPO_ROOT: string = fileURLToPath(new URL('../../', import.meta.url));

export interface PlatformEndpoints {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  redisUrl: string;
  /**
   * The secure platform: what a client needs besides (SALDO_KAFKA_*, SALDO_REDIS_*,
   * SALDO_SCHEMA_REGISTRY_*), passwords as *_PASSWORD_FILE paths.
   */
  clientEnv?: Record<string, string>;
}

export interface PlatformOptions {
  /** Data, logs and pid files. Default `<repo>/.platform` (git-ignored). */
  homeDir?: string;
  /** Downloaded jars and distributions. Default `$SALDO_CACHE_DIR` or `~/.cache/saldo`. */
  cacheDir?: string;
  kafkaPort?: number;
  controllerPort?: number;
  registryPort?: number;
  redisPort?: number;
  /** Per service. Default 180000 (the first Apicurio start is slow). */
  readyTimeoutMs?: number;
  /** Wipe the data of the services (stopping running ones first) before starting. */
  fresh?: boolean;
  /** Act on these services only (up, down, status). Default: all. */
  only?: readonly ServiceName[];
  /**
   * The secure platform: Kafka over SASL_SSL (SCRAM-SHA-512), Redis over TLS with a password, the
   * registry over https with basic auth, with a throwaway CA. Its own home and ports (the
   * SALDO_SECURE_* variables), so it runs beside the plain one.
   */
  secure?: boolean;
  /** Progress lines. Default: stderr. */
  log?: (line: string) => void;
}

export type ServiceName = 'kafka' | 'registry' | 'redis';
export const SERVICE_NAMES: readonly ServiceName[] = ['kafka', 'registry', 'redis'];

export type ResolvedPlatformOptions = Required<Omit<PlatformOptions, 'log'>>;

export const DEFAULTS = {
  kafkaPort: 19092,
  controllerPort: 19093,
  registryPort: 18081,
  redisPort: 16379,
  readyTimeoutMs: 180_000,
} as const;

/** The secure platform's ports: beside the plain platform's. */
export const SECURE_DEFAULTS = {
  kafkaPort: 29092,
  controllerPort: 29093,
  registryPort: 28081,
  redisPort: 26379,
} as const;

export const HOST = '127.0.0.1';

function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const text = raw.trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name} must be an integer TCP port between 1 and 65535, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function parsePositiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback;
  const text = raw.trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function parseFlag(raw: string | undefined): boolean {
  return raw !== undefined && ['1', 'true', 'yes', 'on'].includes(raw.trim().toLowerCase());
}

function parseServices(name: string, raw: string | undefined): readonly ServiceName[] {
  if (raw === undefined || raw.trim() === '') return SERVICE_NAMES;
  return checkServices(
    name,
    raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );
}

function checkServices(name: string, list: readonly string[]): readonly ServiceName[] {
  const known: readonly string[] = SERVICE_NAMES;
  for (const item of list) {
    if (!known.includes(item)) {
      throw new Error(
        `${name}: unknown service ${JSON.stringify(item)} (known: ${SERVICE_NAMES.join(', ')})`,
      );
    }
  }
  return SERVICE_NAMES.filter((service) => list.includes(service));
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(path);
}

/**
 * Options from the environment: SALDO_PLATFORM_HOME, SALDO_CACHE_DIR, SALDO_KAFKA_PORT (19092),
 * SALDO_KAFKA_CONTROLLER_PORT (19093), SALDO_REGISTRY_PORT (18081), SALDO_REDIS_PORT (16379),
 * SALDO_PLATFORM_READY_TIMEOUT_MS (180000), SALDO_PLATFORM_FRESH (1/true),
 * SALDO_PLATFORM_SERVICES (comma list, default kafka,registry,redis), SALDO_PLATFORM_SECURE (1/true).
 * The secure platform reads its home and ports from SALDO_SECURE_PLATFORM_HOME,
 * SALDO_SECURE_KAFKA_PORT (29092), SALDO_SECURE_KAFKA_CONTROLLER_PORT (29093),
 * SALDO_SECURE_REGISTRY_PORT (28081) and SALDO_SECURE_REDIS_PORT (26379) instead.
 * Throws an Error naming the variable when a value is invalid.
 */
export function platformOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  secure: boolean = parseFlag(env['SALDO_PLATFORM_SECURE']),
): ResolvedPlatformOptions {
  const prefix = secure ? 'SALDO_SECURE_' : 'SALDO_';
  const defaults = secure ? SECURE_DEFAULTS : DEFAULTS;
  const port = (name: string, fallback: number): number =>
    parsePort(`${prefix}${name}`, env[`${prefix}${name}`], fallback);
  const home = env[`${prefix}PLATFORM_HOME`];
  const cache = env['SALDO_CACHE_DIR'];
  const options: ResolvedPlatformOptions = {
    homeDir:
      home !== undefined && home.trim() !== ''
        ? absolute(home)
        : join(REPO_ROOT, secure ? '.platform-secure' : '.platform'),
    cacheDir:
      cache !== undefined && cache.trim() !== '' ? absolute(cache) : join(homedir(), '.cache', 'saldo'),
    kafkaPort: port('KAFKA_PORT', defaults.kafkaPort),
    controllerPort: port('KAFKA_CONTROLLER_PORT', defaults.controllerPort),
    registryPort: port('REGISTRY_PORT', defaults.registryPort),
    redisPort: port('REDIS_PORT', defaults.redisPort),
    readyTimeoutMs: parsePositiveInt(
      'SALDO_PLATFORM_READY_TIMEOUT_MS',
      env['SALDO_PLATFORM_READY_TIMEOUT_MS'],
      DEFAULTS.readyTimeoutMs,
    ),
    fresh: parseFlag(env['SALDO_PLATFORM_FRESH']),
    only: parseServices('SALDO_PLATFORM_SERVICES', env['SALDO_PLATFORM_SERVICES']),
    secure,
  };
  validateOptions(options);
  return options;
}

/** Throws when a port is out of range or two services share a port. */
export function validateOptions(options: ResolvedPlatformOptions): void {
  const ports: [string, number][] = [
    ['kafkaPort', options.kafkaPort],
    ['controllerPort', options.controllerPort],
    ['registryPort', options.registryPort],
    ['redisPort', options.redisPort],
  ];
  const seen = new Map<number, string>();
  for (const [name, port] of ports) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`${name} must be an integer TCP port between 1 and 65535, got ${String(port)}`);
    }
    const other = seen.get(port);
    if (other !== undefined)
      throw new Error(`${other} and ${name} are both ${port}: each service needs its own port`);
    seen.set(port, name);
  }
  if (!Number.isSafeInteger(options.readyTimeoutMs) || options.readyTimeoutMs < 1) {
    throw new Error(`readyTimeoutMs must be a positive integer, got ${String(options.readyTimeoutMs)}`);
  }
}

/** Explicit options win over the environment; undefined values fall back to it. */
export function resolveOptions(
  options: PlatformOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedPlatformOptions {
  const fromEnv =
    options.secure === undefined ? platformOptionsFromEnv(env) : platformOptionsFromEnv(env, options.secure);
  const resolved: ResolvedPlatformOptions = {
    homeDir: absolute(options.homeDir ?? fromEnv.homeDir),
    cacheDir: absolute(options.cacheDir ?? fromEnv.cacheDir),
    kafkaPort: options.kafkaPort ?? fromEnv.kafkaPort,
    controllerPort: options.controllerPort ?? fromEnv.controllerPort,
    registryPort: options.registryPort ?? fromEnv.registryPort,
    redisPort: options.redisPort ?? fromEnv.redisPort,
    readyTimeoutMs: options.readyTimeoutMs ?? fromEnv.readyTimeoutMs,
    fresh: options.fresh ?? fromEnv.fresh,
    only: options.only === undefined ? fromEnv.only : checkServices('only', options.only),
    secure: fromEnv.secure,
  };
  validateOptions(resolved);
  return resolved;
}

export function endpointsFor(
  options: Pick<ResolvedPlatformOptions, 'kafkaPort' | 'registryPort' | 'redisPort'> &
    Partial<Pick<ResolvedPlatformOptions, 'secure' | 'homeDir'>>,
): PlatformEndpoints {
  if (options.secure !== true) {
    return {
      kafkaBrokers: `${HOST}:${options.kafkaPort}`,
      schemaRegistryUrl: `http://${HOST}:${options.registryPort}/apis/ccompat/v7`,
      redisUrl: `redis://${HOST}:${options.redisPort}`,
    };
  }
  if (options.homeDir === undefined) throw new Error("the secure platform's endpoints need its homeDir");
  const secrets = secretsPaths(options.homeDir);
  return {
    kafkaBrokers: `${HOST}:${options.kafkaPort}`,
    schemaRegistryUrl: `https://${HOST}:${options.registryPort}/apis/ccompat/v7`,
    redisUrl: `rediss://${HOST}:${options.redisPort}`,
    clientEnv: {
      SALDO_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      SALDO_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      SALDO_KAFKA_SASL_USERNAME: CLIENT_USER,
      SALDO_KAFKA_SASL_PASSWORD_FILE: secrets.kafkaClientPasswordFile,
      SALDO_KAFKA_TLS_CA_FILE: secrets.caFile,
      SALDO_REDIS_PASSWORD_FILE: secrets.redisPasswordFile,
      SALDO_REDIS_TLS_CA_FILE: secrets.caFile,
      SALDO_SCHEMA_REGISTRY_USERNAME: CLIENT_USER,
      SALDO_SCHEMA_REGISTRY_PASSWORD_FILE: secrets.registryPasswordFile,
      SALDO_SCHEMA_REGISTRY_TLS_CA_FILE: secrets.caFile,
    },
  };
}

/** The lines `platform:up` prints on stdout, ready for `eval` (passwords as file paths only). */
export function envLines(endpoints: PlatformEndpoints): string[] {
  return [
    `KAFKA_BROKERS=${endpoints.kafkaBrokers}`,
    `SCHEMA_REGISTRY_URL=${endpoints.schemaRegistryUrl}`,
    `REDIS_URL=${endpoints.redisUrl}`,
    ...Object.entries(endpoints.clientEnv ?? {}).map(([name, value]) => `${name}=${value}`),
  ];
}

export interface ServicePaths {
  /** Working directory of the process; also how we recognise the process as ours. */
  dir: string;
  /** Persistent data (Kafka log dirs, registry H2 files). */
  dataDir: string;
  logFile: string;
  pidFile: string;
}

export function servicePaths(homeDir: string, name: ServiceName): ServicePaths {
  const dir = join(homeDir, name);
  return {
    dir,
    dataDir: join(dir, 'data'),
    logFile: join(homeDir, 'logs', `${name}.log`),
    pidFile: join(homeDir, 'run', `${name}.pid`),
  };
}
