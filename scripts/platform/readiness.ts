// The readiness wait loop. It never hangs: every poll first checks that the service process is
// still alive (a dead process fails at once with its log tail), each check is bounded by its own
// timeout, and the whole wait by the service's ready timeout.
import { PlatformStartError } from './errors.ts';
import { DEFAULT_TAIL_LINES, tailFile } from './logs.ts';
import type { ServiceName } from './options.ts';
import { isAlive as defaultIsAlive, sleep } from './process.ts';

/** A readiness check; it must give up after `timeoutMs`. Throwing counts as "not ready". */
export type ReadinessCheck = (timeoutMs: number) => Promise<boolean>;

export interface WaitOptions {
  service: ServiceName;
  pid: number;
  logFile: string;
  check: ReadinessCheck;
  timeoutMs: number;
  /** Pause between polls. Default 250 ms. */
  intervalMs?: number;
  /** Upper bound for one check. Default 2000 ms. */
  checkTimeoutMs?: number;
  tailLines?: number;
  isAlive?: (pid: number) => boolean;
  /** Stop waiting (rejects with WaitAbandoned) without judging the service. */
  signal?: AbortSignal;
}

/** The wait was given up from outside (another service failed); the process is left alone. */
export class WaitAbandoned extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaitAbandoned';
  }
}

/** Run a check, treating a throw or a check that overruns its budget as "not ready". */
async function boundedCheck(check: ReadinessCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(false), timeoutMs + 50);
  });
  try {
    return await Promise.race([check(timeoutMs).catch(() => false), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolve with the elapsed milliseconds once `check` passes while `pid` is alive. Reject with a
 * PlatformStartError carrying the log tail as soon as the process is gone, or at the timeout.
 */
export async function waitForReady(options: WaitOptions): Promise<number> {
  const intervalMs = options.intervalMs ?? 250;
  const checkTimeoutMs = options.checkTimeoutMs ?? 2_000;
  const alive = options.isAlive ?? defaultIsAlive;
  const lines = options.tailLines ?? DEFAULT_TAIL_LINES;
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const fail = (reason: string): PlatformStartError =>
    new PlatformStartError(options.service, reason, options.logFile, tailFile(options.logFile, lines));

  for (;;) {
    if (options.signal?.aborted === true) {
      throw new WaitAbandoned(
        `${options.service}: stopped waiting for pid ${options.pid} after ${elapsed(started)}`,
      );
    }
    if (!alive(options.pid)) {
      throw fail(`process ${options.pid} exited after ${elapsed(started)} before it was ready`);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw fail(`not ready after ${elapsed(started)} (timeout ${Math.round(options.timeoutMs / 1000)} s)`);
    }
    const ready = await boundedCheck(options.check, Math.max(1, Math.min(checkTimeoutMs, remaining)));
    if (ready && alive(options.pid)) return Date.now() - started;
    const pause = Math.min(intervalMs, deadline - Date.now());
    if (pause > 0) await sleep(pause);
  }
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}
