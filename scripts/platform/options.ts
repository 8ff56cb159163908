// Options, defaults and the on-disk layout of the local platform (Kafka, schema registry, Redis).
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: two levels up from scripts/platform/. */
export const REPO_ROOT: string = fileURLToPath(new URL('../../', import.meta.url));

export interface PlatformEndpoints {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  redisUrl: string;
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
 * SALDO_PLATFORM_SERVICES (comma list, default kafka,registry,redis).
 * Throws an Error naming the variable when a value is invalid.
 */
export function platformOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ResolvedPlatformOptions {
  const home = env['SALDO_PLATFORM_HOME'];
  const cache = env['SALDO_CACHE_DIR'];
  const options: ResolvedPlatformOptions = {
    homeDir: home !== undefined && home.trim() !== '' ? absolute(home) : join(REPO_ROOT, '.platform'),
    cacheDir:
      cache !== undefined && cache.trim() !== '' ? absolute(cache) : join(homedir(), '.cache', 'saldo'),
    kafkaPort: parsePort('SALDO_KAFKA_PORT', env['SALDO_KAFKA_PORT'], DEFAULTS.kafkaPort),
    controllerPort: parsePort(
      'SALDO_KAFKA_CONTROLLER_PORT',
      env['SALDO_KAFKA_CONTROLLER_PORT'],
      DEFAULTS.controllerPort,
    ),
    registryPort: parsePort('SALDO_REGISTRY_PORT', env['SALDO_REGISTRY_PORT'], DEFAULTS.registryPort),
    redisPort: parsePort('SALDO_REDIS_PORT', env['SALDO_REDIS_PORT'], DEFAULTS.redisPort),
    readyTimeoutMs: parsePositiveInt(
      'SALDO_PLATFORM_READY_TIMEOUT_MS',
      env['SALDO_PLATFORM_READY_TIMEOUT_MS'],
      DEFAULTS.readyTimeoutMs,
    ),
    fresh: parseFlag(env['SALDO_PLATFORM_FRESH']),
    only: parseServices('SALDO_PLATFORM_SERVICES', env['SALDO_PLATFORM_SERVICES']),
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
  const fromEnv = platformOptionsFromEnv(env);
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
  };
  validateOptions(resolved);
  return resolved;
}

export function endpointsFor(
  options: Pick<ResolvedPlatformOptions, 'kafkaPort' | 'registryPort' | 'redisPort'>,
): PlatformEndpoints {
  return {
    kafkaBrokers: `${HOST}:${options.kafkaPort}`,
    schemaRegistryUrl: `http://${HOST}:${options.registryPort}/apis/ccompat/v7`,
    redisUrl: `redis://${HOST}:${options.redisPort}`,
  };
}

/** The lines `platform:up` prints on stdout, ready for `eval`. */
export function envLines(endpoints: PlatformEndpoints): string[] {
  return [
    `KAFKA_BROKERS=${endpoints.kafkaBrokers}`,
    `SCHEMA_REGISTRY_URL=${endpoints.schemaRegistryUrl}`,
    `REDIS_URL=${endpoints.redisUrl}`,
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
