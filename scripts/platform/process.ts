// Detached service processes, pid files, liveness and stopping. Only ever signals pids from our
// own pid files, after checking that the pid still belongs to the process we started.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

export interface DetachedSpec {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here. */
  logFile: string;
  pidFile: string;
}

/**
 * Start a process in its own session (it survives our exit and terminal hang-ups), with stdout and
 * stderr appended to the log file, and record its pid. Returns the pid.
 */
export function spawnDetached(spec: DetachedSpec): number {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  mkdirSync(spec.cwd, { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    child.on('error', () => {
      // reported through the missing pid below, or by the readiness wait noticing the exit
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    writeFileSync(spec.pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(fd);
  }
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  timeoutMs: number;
  /** Aborting kills the command (SIGTERM) and rejects. */
  signal?: AbortSignal;
}

const ANSI_ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** Commands started by runLogged that have not finished yet. */
const runningCommands = new Set<ChildProcess>();

/**
 * Kill the commands runLogged is waiting for (Maven, tar, the storage formatter), e.g. when the CLI
 * is interrupted: they are not detached and would otherwise outlive it.
 */
export function killRunningCommands(): void {
  for (const child of runningCommands) child.kill('SIGTERM');
}

/**
 * Run a command to completion with its output appended to a log file (terminal colour codes
 * stripped); rejects on non-zero exit or timeout.
 */
export function runLogged(command: string, args: string[], options: RunOptions): Promise<void> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  mkdirSync(options.cwd, { recursive: true });
  return new Promise<void>((resolvePromise, reject) => {
    let settled = false;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    runningCommands.add(child);
    const write = (chunk: Buffer): void => {
      appendFileSync(options.logFile, chunk.toString('utf8').replace(ANSI_ESCAPE, ''));
    };
    child.stdout.on('data', write);
    child.stderr.on('data', write);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`${command} did not finish within ${Math.round(options.timeoutMs / 1000)} s`));
    }, options.timeoutMs);
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      runningCommands.delete(child);
      if (error) reject(error);
      else resolvePromise();
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') finish(new Error(`${command} not found on PATH`));
      else if (error.name === 'AbortError') finish(new Error(`${command} stopped: the start was abandoned`));
      else finish(new Error(`${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      if (code === 0) finish();
      else finish(new Error(`${command} ${args[0] ?? ''} failed (${signal ?? `exit code ${String(code)}`})`));
    });
  });
}

/** The pid in a pid file, or undefined when the file is missing or malformed. */
export function readPid(pidFile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8').trim();
  } catch {
    return undefined;
  }
  if (!/^\d+$/.test(text)) return undefined;
  const pid = Number(text);
  return Number.isSafeInteger(pid) && pid > 1 ? pid : undefined;
}

export function removePidFile(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

const HAS_PROC = existsSync('/proc/self/stat');

function isZombie(pid: number): boolean {
  if (!HAS_PROC) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** True when the pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/**
 * Whether a live pid is the process we started: its working directory is the service directory and
 * its command line mentions `hint`. Guards against pids reused by unrelated processes. Without
 * /proc (not Linux) the pid file is trusted.
 */
export function isOurProcess(pid: number, expectedCwd: string, hint: string): boolean {
  if (!HAS_PROC) return true;
  let cwd: string;
  let expected: string;
  let cmdline: string;
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return false;
  }
  try {
    expected = realpathSync(expectedCwd);
  } catch {
    return false;
  }
  return cwd === expected && cmdline.includes(hint);
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

export type StopOutcome = 'terminated' | 'killed' | 'not-running';

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves once the pid is gone. */
export async function stopProcess(pid: number, graceMs = 20_000): Promise<StopOutcome> {
  if (!isAlive(pid)) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(100);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'terminated';
  }
  const killDeadline = Date.now() + 5_000;
  while (Date.now() < killDeadline && isAlive(pid)) await sleep(50);
  return 'killed';
}

/** An executable on PATH (or one of the extra absolute candidates), or undefined. */
export function findExecutable(name: string, extra: string[] = []): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
  for (const candidate of [...dirs.map((d) => join(d, name)), ...extra]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A lock file holding our pid, so that concurrent `up` runs on one home take turns (the second then
 * finds the services running). A lock whose pid is dead is taken over. Resolves with a release
 * function; rejects after `timeoutMs`.
 */
export async function acquireLock(
  lockFile: string,
  timeoutMs: number,
  onWait?: (holder: number) => void,
): Promise<() => void> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        if (readPid(lockFile) === process.pid) rmSync(lockFile, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readPid(lockFile);
    if (holder === undefined || !isAlive(holder)) {
      rmSync(lockFile, { force: true }); // stale (or being written: the retry sorts it out)
      await sleep(50);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lockFile} is still held by pid ${holder}`);
    if (!told) {
      onWait?.(holder);
      told = true;
    }
    await sleep(250);
  }
}
