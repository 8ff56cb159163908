/**
 * One measured phase: fork the engine (bench/engine-runner.ts) on a prepared input, watch the
 * app's consumer group from the outside until every input record is committed (or, for a restore,
 * until every task has restored), then stop the engine and collect what it measured.
 */
import { fork } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin } from 'kafkajs';
import { committedOffsets, endOffsets, lag } from './kafka.ts';
import { loadAverage } from './machine.ts';
import {
  epochNow,
  type RestoredMessage,
  type ResultMessage,
  type RunnerMessage,
  type RunnerSpec,
  type StartedMessage,
} from './protocol.ts';
import { busyShare, machineCpuTimes, stealShare } from './stats.ts';

const RUNNER = fileURLToPath(new URL('./engine-runner.ts', import.meta.url));
const POLL_MS = 100;

export interface PhaseOptions {
  name: string;
  spec: RunnerSpec;
  admin: Admin;
  /** 'process': until the group has committed the whole input; 'restore': until every task restored. */
  until: 'committed' | 'restored';
  partitions: number;
  workDir: string;
  timeoutMs: number;
  /** Write a V8 CPU profile of the engine process here. */
  profile: boolean;
  /** Node/V8 options of the engine process (its heap limits), as a deployment sets them. */
  nodeOptions: string[];
  /** The engine process's script: bench/engine-runner.ts, or its compiled build (--from-build). */
  runner?: string;
  /** MALLOC_ARENA_MAX of the engine process; undefined leaves glibc's default. */
  mallocArenaMax?: number;
  log: (line: string) => void;
}

export interface PhaseOutcome {
  name: string;
  spec: RunnerSpec;
  started: StartedMessage;
  restored: RestoredMessage[];
  /** When the engine had applied its first changelog records (sampled every 20 ms). */
  firstRestoredRecordsAt: number | undefined;
  /** When the last input record was seen committed (process phases). */
  committedAt: number | undefined;
  /** Input records the phase had to commit. */
  inputRecords: number;
  result: ResultMessage;
  loadAtStart: [number, number, number];
  /** Busy share of all cores of the machine during the phase (engine + broker + anything else). */
  machineBusy: number | undefined;
  /** Of machineBusy, the share that was CPU steal (the hypervisor running other guests). */
  machineSteal: number | undefined;
  logFile: string;
  profileFile: string | undefined;
  trouble: LogTrouble;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runPhase(opts: PhaseOptions): Promise<PhaseOutcome> {
  const { spec, admin, log } = opts;
  const logFile = join(opts.workDir, `${opts.name}.log`);
  const profileName = `${opts.name}.cpuprofile`;
  const out = openSync(logFile, 'a');
  const loadAtStart = loadAverage();
  const cpuBefore = await machineCpuTimes();
  const ends = await endOffsets(admin, spec.input);
  const inputRecords = [...ends.values()].reduce((a, b) => a + b, 0);

  const child = fork(opts.runner ?? RUNNER, [JSON.stringify(spec)], {
    execArgv: [
      ...opts.nodeOptions,
      ...(opts.profile
        ? ['--cpu-prof', `--cpu-prof-dir=${opts.workDir}`, `--cpu-prof-name=${profileName}`]
        : []),
    ],
    stdio: ['ignore', out, out, 'ipc'],
    env:
      opts.mallocArenaMax === undefined
        ? process.env
        : { ...process.env, MALLOC_ARENA_MAX: String(opts.mallocArenaMax) },
    // Structured clone: keeps Infinity (the +Inf bucket) and large sample arrays intact.
    serialization: 'advanced',
  });
  closeSync(out);

  let started: StartedMessage | undefined;
  const restored: RestoredMessage[] = [];
  let firstRestoredRecordsAt: number | undefined;
  let result: ResultMessage | undefined;
  let failure: Error | undefined;
  child.on('message', (message: RunnerMessage) => {
    if (message.type === 'started') started = message;
    else if (message.type === 'restored') restored.push(message);
    else if (message.type === 'restore-progress') firstRestoredRecordsAt = message.firstRecordsAt;
    else if (message.type === 'result') result = message;
    else if (message.type === 'failed')
      failure = new Error(`${opts.name}: the engine failed: ${message.message}`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const deadline = Date.now() + opts.timeoutMs;
  const check = () => {
    if (failure) throw failure;
    if (exitCode !== undefined && !result)
      throw new Error(`${opts.name}: the engine exited (code ${exitCode}) early; see ${logFile}`);
    if (Date.now() > deadline)
      throw new Error(`${opts.name}: timed out after ${opts.timeoutMs} ms; see ${logFile}`);
  };

  let committedAt: number | undefined;
  try {
    if (opts.until === 'committed') {
      let lastReport = Date.now();
      for (;;) {
        check();
        let committed: Map<number, number>;
        try {
          committed = await committedOffsets(admin, spec.appId, spec.input);
        } catch (error) {
          // NOT_COORDINATOR, timeouts … on a busy broker: try again until the deadline.
          log(
            `${opts.name}: fetching committed offsets failed (${error instanceof Error ? error.message : String(error)}); retrying`,
          );
          await sleep(500);
          continue;
        }
        const remaining = lag(ends, committed);
        if (remaining === 0) {
          committedAt = epochNow();
          break;
        }
        if (Date.now() - lastReport >= 2_000) {
          lastReport = Date.now();
          const first = Math.min(...restored.map((r) => r.at));
          const done = inputRecords - remaining;
          const rate = Number.isFinite(first) ? done / ((epochNow() - first) / 1000) : 0;
          log(
            `${opts.name}: ${done.toLocaleString('en-US')} / ${inputRecords.toLocaleString('en-US')} committed (${Math.round(rate).toLocaleString('en-US')} records/s so far)`,
          );
        }
        await sleep(POLL_MS);
      }
    } else {
      while (restored.length < opts.partitions) {
        check();
        await sleep(POLL_MS / 2);
      }
    }
    while (!started) {
      check();
      await sleep(POLL_MS / 2);
    }
    child.send({ type: 'stop' });
    while (!result) {
      check();
      await sleep(POLL_MS / 2);
    }
    await exited;
  } catch (error) {
    if (exitCode === undefined && child.pid !== undefined) child.kill('SIGKILL');
    throw error;
  }
  const cpuAfter = await machineCpuTimes();
  return {
    name: opts.name,
    spec,
    started,
    restored,
    firstRestoredRecordsAt,
    committedAt,
    inputRecords,
    result,
    loadAtStart,
    machineBusy: busyShare(cpuBefore, cpuAfter),
    machineSteal: stealShare(cpuBefore, cpuAfter),
    logFile,
    profileFile: opts.profile ? join(opts.workDir, profileName) : undefined,
    trouble: scanLog(logFile),
  };
}

/** Trouble the engine logged during a phase (warn and error lines), counted by kind. */
export interface LogTrouble {
  /** kafkajs: the group coordinator had dropped the member (session timeout); it re-joined. */
  rejoins: number;
  /** kafkajs connection attempts that timed out (1 s default; a blocked event loop causes them too). */
  connectionTimeouts: number;
  taskInitFailures: number;
  /** A lost or revoked task's stores were still locked by its closing predecessor. */
  storeOpenRetries: number;
  commitFailures: number;
  fenced: number;
  /** Other warn/error lines. */
  other: number;
}

const TROUBLE: Array<[keyof LogTrouble, RegExp]> = [
  ['rejoins', /not aware of this member, re-joining/],
  ['connectionTimeouts', /"msg":"Connection timeout"/],
  ['taskInitFailures', /task initialisation failed/],
  ['storeOpenRetries', /cannot open the task's stores yet/],
  ['commitFailures', /commit failed/],
  ['fenced', /fenced by another instance/],
];
const BENIGN = [
  /switched default partitioner/,
  /Response Heartbeat/,
  /Failed to connect to seed broker/,
  // The engine's side of a re-join, counted as `rejoins` already.
  /member was dropped from the group/,
];

/** A log with nothing to report. */
export function noLogTrouble(): LogTrouble {
  return {
    rejoins: 0,
    connectionTimeouts: 0,
    taskInitFailures: 0,
    storeOpenRetries: 0,
    commitFailures: 0,
    fenced: 0,
    other: 0,
  };
}

export function scanLog(file: string): LogTrouble {
  const trouble = noLogTrouble();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return trouble;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '' || !/"level":"(warn|error|fatal)"/.test(line)) continue;
    if (BENIGN.some((re) => re.test(line))) continue;
    const kind = TROUBLE.find(([, re]) => re.test(line))?.[0];
    trouble[kind ?? 'other']++;
  }
  return trouble;
}

/** Records/s from the first task running to the last input record committed. */
export function processingRate(p: PhaseOutcome): {
  perSec: number;
  windowMs: number;
  withStartupPerSec: number;
  startupMs: number;
} {
  const first = Math.min(...p.restored.map((r) => r.at));
  const end = p.committedAt ?? Number.NaN;
  const windowMs = end - first;
  const withStartupMs = end - p.started.calledAt;
  return {
    perSec: p.inputRecords / (windowMs / 1000),
    windowMs,
    withStartupPerSec: p.inputRecords / (withStartupMs / 1000),
    startupMs: first - p.started.calledAt,
  };
}

/** Changelog records restored per second, across the tasks restoring in parallel. */
export function restoreRate(p: PhaseOutcome): {
  perSec: number;
  records: number;
  windowMs: number;
  slowestTaskMs: number;
  /** From the first task's restore start to the first changelog records applied (reader start-up). */
  firstRecordsAfterMs: number;
  /** Records/s once records flow: first records applied to the last task restored. */
  dataPerSec: number;
} {
  const records = p.restored.reduce((a, r) => a + r.total, 0);
  const begin = Math.min(...p.restored.map((r) => r.at - r.elapsedMs));
  const end = Math.max(...p.restored.map((r) => r.at));
  const windowMs = end - begin;
  const first = p.firstRestoredRecordsAt ?? Number.NaN;
  return {
    perSec: records / (windowMs / 1000),
    records,
    windowMs,
    slowestTaskMs: Math.max(...p.restored.map((r) => r.elapsedMs)),
    firstRecordsAfterMs: first - begin,
    dataPerSec: records / ((end - first) / 1000),
  };
}
