// The platform's readiness wait must never hang: a service process that dies during the wait fails
// it at once with the service's log tail, and a service that never answers fails at the timeout.
// These tests run the wait loop against real child processes (plain Node scripts, no Kafka).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PlatformStartError } from '../../scripts/platform/errors.ts';
import { isAlive, readPid, spawnDetached, stopProcess } from '../../scripts/platform/process.ts';
import { waitForReady } from '../../scripts/platform/readiness.ts';

let dir: string;
const spawned: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'saldo-readiness-'));
});

afterEach(async () => {
  for (const pid of spawned.splice(0)) await stopProcess(pid, 2_000);
  rmSync(dir, { recursive: true, force: true });
});

/** A detached Node process running `script`, logging to <dir>/service.log like a platform service. */
function startService(script: string): { pid: number; logFile: string } {
  const logFile = join(dir, 'service.log');
  const pid = spawnDetached({
    command: process.execPath,
    args: ['-e', script],
    cwd: dir,
    logFile,
    pidFile: join(dir, 'service.pid'),
  });
  spawned.push(pid);
  return { pid, logFile };
}

/** The rejection of `promise` (fails the test if it resolves) and how long it took. */
async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const began = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - began };
  }
  throw new Error('expected the wait to fail, but it resolved');
}

const never = async (): Promise<boolean> => false;

/**
 * Waits until the service has logged `text`. Tests that need the log act on it rather than after a
 * fixed delay: on a starved VM, Node alone can take a second or more to start.
 */
async function logged(logFile: string, text: string): Promise<void> {
  await vi.waitFor(() => expect(readFileSync(logFile, 'utf8')).toContain(text), {
    timeout: 15_000,
    interval: 50,
  });
}

describe('waitForReady', () => {
  it('records the pid of the detached process in its pid file', () => {
    const { pid } = startService('setInterval(() => {}, 1000)');
    expect(readPid(join(dir, 'service.pid'))).toBe(pid);
    expect(isAlive(pid)).toBe(true);
  });

  it('fails fast with the log tail when the process exits during the wait', async () => {
    const { pid, logFile } = startService(`
      for (let i = 0; i < 100; i++) console.log('startup line ' + i);
      console.error('FATAL: could not bind 127.0.0.1:19092');
      setTimeout(() => process.exit(1), 300);
    `);
    const { error, ms } = await rejection(
      waitForReady({ service: 'kafka', pid, logFile, check: never, timeoutMs: 60_000 }),
    );
    expect(error).toBeInstanceOf(PlatformStartError);
    const failure = error as PlatformStartError;
    expect(failure.service).toBe('kafka');
    expect(failure.logFile).toBe(logFile);
    expect(failure.message).toMatch(/exited/);
    expect(failure.logTail).toContain('FATAL: could not bind 127.0.0.1:19092');
    expect(failure.logTail).toContain('startup line 99');
    expect(failure.logTail).not.toContain('startup line 0\n');
    expect(failure.logTail.split('\n')).toHaveLength(40);
    expect(ms).toBeLessThan(3_000); // not the 60 s timeout
  });

  it('fails within a second when the process is killed (SIGKILL) during the wait', async () => {
    const { pid, logFile } = startService(`
      console.log('broker starting, pid ' + process.pid);
      setInterval(() => console.log('still starting'), 100);
    `);
    const waiting = rejection(
      waitForReady({ service: 'kafka', pid, logFile, check: never, timeoutMs: 60_000 }),
    );
    await logged(logFile, 'still starting');
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const { error } = await waiting;
    expect(Date.now() - killedAt).toBeLessThan(1_000);
    expect(error).toBeInstanceOf(PlatformStartError);
    expect((error as PlatformStartError).logTail).toContain(`broker starting, pid ${pid}`);
    expect((error as PlatformStartError).logTail).toContain('still starting');
  });

  it('fails at the timeout with the log tail when the process never answers', async () => {
    const { pid, logFile } = startService(`console.log('registry booting'); setInterval(() => {}, 1000);`);
    await logged(logFile, 'registry booting');
    const { error, ms } = await rejection(
      waitForReady({ service: 'registry', pid, logFile, check: never, timeoutMs: 800 }),
    );
    expect(error).toBeInstanceOf(PlatformStartError);
    expect((error as PlatformStartError).service).toBe('registry');
    expect((error as PlatformStartError).message).toMatch(/not ready after/);
    expect((error as PlatformStartError).logTail).toContain('registry booting');
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(2_500); // at the timeout, not long after it
    expect(isAlive(pid)).toBe(true); // the wait itself does not kill; the caller decides
  });

  it('bounds a check that never settles', async () => {
    const { pid, logFile } = startService('setInterval(() => {}, 1000)');
    const hanging = (): Promise<boolean> => new Promise<boolean>(() => {});
    const { error, ms } = await rejection(
      waitForReady({ service: 'redis', pid, logFile, check: hanging, timeoutMs: 1_000, checkTimeoutMs: 300 }),
    );
    expect(error).toBeInstanceOf(PlatformStartError);
    expect(ms).toBeLessThan(2_500); // the 1 s timeout holds although the check never settles
  });

  it('treats a throwing check as not ready and resolves once the check passes', async () => {
    const { pid, logFile } = startService(`
      setTimeout(() => console.log('READY'), 500);
      setInterval(() => {}, 1000);
    `);
    let calls = 0;
    const check = async (): Promise<boolean> => {
      calls += 1;
      if (calls === 1) throw new Error('connection refused');
      return readFileSync(logFile, 'utf8').includes('READY');
    };
    const elapsed = await waitForReady({
      service: 'redis',
      pid,
      logFile,
      check,
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(5_000); // well before the 10 s timeout
    expect(calls).toBeGreaterThan(1);
  });
});
