// Local development platform: Kafka (KRaft), a Confluent-compatible schema registry (Apicurio) and
// Redis, started as detached processes on 127.0.0.1 without Docker. See docs/platform.md.
import { join } from 'node:path';
import { PlatformStartError } from './errors.ts';
import { kafkaService } from './kafka.ts';
import { rotateLog, tailFile } from './logs.ts';
import {
  endpointsFor,
  HOST,
  SERVICE_NAMES,
  resolveOptions,
  type PlatformEndpoints,
  type PlatformOptions,
  type ResolvedPlatformOptions,
  type ServiceName,
} from './options.ts';
import { portIsFree } from './probes.ts';
import {
  acquireLock,
  isAlive,
  isOurProcess,
  readPid,
  removePidFile,
  spawnDetached,
  stopProcess,
} from './process.ts';
import { WaitAbandoned, waitForReady } from './readiness.ts';
import { redisService } from './redis.ts';
import { registryService } from './registry.ts';
import { ensureSecrets, wipeSecrets } from './secrets.ts';
import type { LaunchSpec, ServiceContext, ServiceSpec } from './service.ts';

export { PlatformStartError } from './errors.ts';
export { endpointsFor, envLines, platformOptionsFromEnv, SERVICE_NAMES } from './options.ts';
export type { PlatformEndpoints, PlatformOptions, ResolvedPlatformOptions, ServiceName } from './options.ts';

export interface ServiceStatus {
  name: ServiceName;
  state: 'running' | 'stopped' | 'not-answering';
  pid?: number;
  endpoint: string;
}

export interface ServiceUpResult {
  name: ServiceName;
  pid: number;
  outcome: 'started' | 'already-running';
  /** Milliseconds spent on this service (fetch, prepare, wait). */
  elapsedMs: number;
}

export interface PlatformUpResult {
  endpoints: PlatformEndpoints;
  started: ServiceName[];
  alreadyRunning: ServiceName[];
  services: ServiceUpResult[];
}

const STATUS_CHECK_TIMEOUT_MS = 3_000;

function defaultLog(line: string): void {
  process.stderr.write(`[platform] ${line}\n`);
}

function allSpecs(
  options: ResolvedPlatformOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): ServiceSpec[] {
  const context: ServiceContext = { options, log, ...(signal === undefined ? {} : { signal }) };
  return [kafkaService(context), registryService(context), redisService(context)];
}

/** The services selected by `options.only`. */
function specs(
  options: ResolvedPlatformOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): ServiceSpec[] {
  return allSpecs(options, log, signal).filter((spec) => options.only.includes(spec.name));
}

type Running = { pid: number; answering: boolean } | undefined;

/** Our live process for a service (per its pid file), removing a stale pid file. */
async function inspect(spec: ServiceSpec, log: (line: string) => void): Promise<Running> {
  const pid = readPid(spec.paths.pidFile);
  if (pid === undefined) return undefined;
  if (!isAlive(pid)) {
    log(`${spec.name}: removing stale pid file (pid ${pid} is not running)`);
    removePidFile(spec.paths.pidFile);
    return undefined;
  }
  if (!isOurProcess(pid, spec.paths.dir, spec.processHint)) {
    log(`${spec.name}: pid ${pid} from ${spec.paths.pidFile} is not our ${spec.name} process; ignoring it`);
    removePidFile(spec.paths.pidFile);
    return undefined;
  }
  return { pid, answering: await spec.isAnswering(STATUS_CHECK_TIMEOUT_MS) };
}

function abandoned(spec: ServiceSpec, what: string): WaitAbandoned {
  return new WaitAbandoned(`${spec.name}: ${what} because another service failed`);
}

async function upOne(
  spec: ServiceSpec,
  options: ResolvedPlatformOptions,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ServiceUpResult> {
  const began = Date.now();
  const { logFile, pidFile } = spec.paths;
  const running = await inspect(spec, log);
  if (running !== undefined) {
    if (!running.answering) {
      log(`${spec.name}: pid ${running.pid} is alive but not answering yet; waiting for it`);
      await waitForReady({
        service: spec.name,
        pid: running.pid,
        logFile,
        check: spec.isAnswering,
        timeoutMs: options.readyTimeoutMs,
        signal,
      });
    }
    log(`${spec.name}: already running (pid ${running.pid})`);
    return { name: spec.name, pid: running.pid, outcome: 'already-running', elapsedMs: Date.now() - began };
  }

  for (const port of spec.ports) {
    if (!(await portIsFree(HOST, port))) {
      throw new PlatformStartError(
        spec.name,
        `port ${port} on ${HOST} is in use by a process this platform did not start (no live pid in ${pidFile}); stop it or choose other ports (SALDO_*_PORT)`,
        logFile,
        '', // the log is from an earlier run and says nothing about this
      );
    }
  }
  if (signal.aborted) throw abandoned(spec, 'not started');

  rotateLog(logFile);
  let launch: LaunchSpec;
  try {
    launch = await spec.prepare();
  } catch (error) {
    if (signal.aborted) throw abandoned(spec, 'preparation stopped');
    if (error instanceof PlatformStartError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new PlatformStartError(spec.name, `could not prepare: ${message}`, logFile, tailFile(logFile));
  }
  if (signal.aborted) throw abandoned(spec, 'not started');

  let pid: number;
  try {
    pid = spawnDetached({ ...launch, cwd: spec.paths.dir, logFile, pidFile });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PlatformStartError(spec.name, message, logFile, tailFile(logFile));
  }
  log(`${spec.name}: spawned pid ${pid}; waiting until it answers (log: ${logFile})`);
  try {
    await waitForReady({
      service: spec.name,
      pid,
      logFile,
      check: spec.isStarted ?? spec.isAnswering,
      timeoutMs: options.readyTimeoutMs,
      signal,
    });
  } catch (error) {
    if (error instanceof WaitAbandoned) {
      log(`${spec.name}: pid ${pid} is still starting; left running (the next \`up\` waits for it)`);
      throw error;
    }
    // do not leave a dead or hung process behind: the next `up` starts cleanly
    if (isAlive(pid)) await stopProcess(pid, 10_000);
    removePidFile(pidFile);
    throw error;
  }
  const elapsedMs = Date.now() - began;
  log(`${spec.name}: started (pid ${pid}) in ${(elapsedMs / 1000).toFixed(1)} s`);
  return { name: spec.name, pid, outcome: 'started', elapsedMs };
}

type UpOutcome = { spec: ServiceSpec; result: ServiceUpResult } | { spec: ServiceSpec; error: unknown };

/**
 * Start every service that is not running yet (in parallel) and wait until each answers.
 * Fails fast: when one service fails, the others stop being waited for (processes already spawned
 * keep starting; a Maven download in progress is stopped) and this rejects with a
 * PlatformStartError carrying the failing service's log tail (further failures in `alsoFailed`).
 * Services that did come up are left running.
 */
export async function platformUp(options: PlatformOptions = {}): Promise<PlatformUpResult> {
  const log = options.log ?? defaultLog;
  const resolved = resolveOptions(options);
  const release = await acquireLock(
    join(resolved.homeDir, 'run', 'up.lock'),
    resolved.readyTimeoutMs * 2,
    (holder) =>
      log(`another platform:up (pid ${holder}) is running on ${resolved.homeDir}; waiting for it to finish`),
  );
  try {
    return await upLocked(resolved, options, log);
  } finally {
    release();
  }
}

async function upLocked(
  resolved: ResolvedPlatformOptions,
  options: PlatformOptions,
  log: (line: string) => void,
): Promise<PlatformUpResult> {
  if (resolved.fresh) {
    await platformDown({ ...options, fresh: false });
    for (const spec of specs(resolved, log)) {
      log(`${spec.name}: wiping data in ${spec.paths.dataDir} (fresh start)`);
      spec.wipeData();
    }
    if (resolved.secure && resolved.only.length === SERVICE_NAMES.length) wipeSecrets(resolved.homeDir);
  }
  if (resolved.secure) await ensureSecureSecrets(resolved, log);
  const controller = new AbortController();
  const outcomes = await Promise.all(
    specs(resolved, log, controller.signal).map((spec) =>
      upOne(spec, resolved, log, controller.signal).then(
        (result): UpOutcome => ({ spec, result }),
        (error: unknown): UpOutcome => {
          if (!(error instanceof WaitAbandoned)) controller.abort();
          return { spec, error };
        },
      ),
    ),
  );
  const failures: PlatformStartError[] = [];
  const services: ServiceUpResult[] = [];
  for (const outcome of outcomes) {
    if ('result' in outcome) {
      services.push(outcome.result);
    } else if (!(outcome.error instanceof WaitAbandoned)) {
      const { error, spec } = outcome;
      failures.push(
        error instanceof PlatformStartError
          ? error
          : new PlatformStartError(
              spec.name,
              error instanceof Error ? error.message : String(error),
              spec.paths.logFile,
              tailFile(spec.paths.logFile),
            ),
      );
    }
  }
  const [first, ...rest] = failures;
  if (first !== undefined) {
    first.alsoFailed = rest;
    throw first;
  }
  return {
    endpoints: endpointsFor(resolved),
    started: services.filter((s) => s.outcome === 'started').map((s) => s.name),
    alreadyRunning: services.filter((s) => s.outcome === 'already-running').map((s) => s.name),
    services,
  };
}

/**
 * The secure platform's CA, certificate and passwords, made before any service is prepared. New
 * secrets mean new SCRAM users, which Kafka takes only at format: its old storage goes.
 */
async function ensureSecureSecrets(
  resolved: ResolvedPlatformOptions,
  log: (line: string) => void,
): Promise<void> {
  let created: boolean;
  try {
    ({ created } = await ensureSecrets(resolved.homeDir, join(resolved.homeDir, 'logs', 'secrets.log'), log));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const logFile = join(resolved.homeDir, 'logs', 'secrets.log');
    throw new PlatformStartError(
      'kafka',
      `could not make the secure platform's secrets: ${message}`,
      logFile,
      tailFile(logFile),
    );
  }
  if (!created) return;
  const kafka = allSpecs(resolved, log).find((spec) => spec.name === 'kafka');
  if (kafka !== undefined && readPid(kafka.paths.pidFile) === undefined) kafka.wipeData();
}

/** Stop the processes started by `platformUp` (by their pid files only) and remove the pid files. */
export async function platformDown(options: PlatformOptions = {}): Promise<{ stopped: ServiceName[] }> {
  const log = options.log ?? defaultLog;
  const resolved = resolveOptions(options);
  const outcomes = await Promise.all(
    specs(resolved, log).map(async (spec): Promise<ServiceName | undefined> => {
      const pid = readPid(spec.paths.pidFile);
      if (pid === undefined) {
        log(`${spec.name}: not running`);
        return undefined;
      }
      if (!isAlive(pid)) {
        log(`${spec.name}: not running (removed stale pid file for pid ${pid})`);
        removePidFile(spec.paths.pidFile);
        return undefined;
      }
      if (!isOurProcess(pid, spec.paths.dir, spec.processHint)) {
        log(
          `${spec.name}: pid ${pid} is no longer our ${spec.name} process; left it alone, removed the pid file`,
        );
        removePidFile(spec.paths.pidFile);
        return undefined;
      }
      const began = Date.now();
      const outcome = await stopProcess(pid);
      removePidFile(spec.paths.pidFile);
      const seconds = ((Date.now() - began) / 1000).toFixed(1);
      log(
        `${spec.name}: stopped (pid ${pid}${outcome === 'killed' ? ', needed SIGKILL' : ''}) in ${seconds} s`,
      );
      return spec.name;
    }),
  );
  return { stopped: outcomes.filter((name): name is ServiceName => name !== undefined) };
}

/** One entry per service: running, stopped, or not-answering (our pid is alive but the check fails). */
export async function platformStatus(options: PlatformOptions = {}): Promise<ServiceStatus[]> {
  const log = options.log ?? defaultLog;
  const resolved = resolveOptions(options);
  return Promise.all(
    specs(resolved, log).map(async (spec): Promise<ServiceStatus> => {
      const pid = readPid(spec.paths.pidFile);
      if (pid === undefined || !isAlive(pid) || !isOurProcess(pid, spec.paths.dir, spec.processHint)) {
        return { name: spec.name, state: 'stopped', endpoint: spec.endpoint };
      }
      const answering = await spec.isAnswering(STATUS_CHECK_TIMEOUT_MS);
      return {
        name: spec.name,
        state: answering ? 'running' : 'not-answering',
        pid,
        endpoint: spec.endpoint,
      };
    }),
  );
}

/** Where a service's log and pid file live (for messages and tests). */
export function servicePathsFor(options: PlatformOptions, name: ServiceName): ServiceSpec['paths'] {
  const resolved = resolveOptions(options);
  const spec = allSpecs(resolved, () => undefined).find((s) => s.name === name);
  if (spec === undefined) throw new Error(`unknown service ${name}`);
  return spec.paths;
}
