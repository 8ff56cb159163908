import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * saldo instances as child processes (`node cli/main.ts run …`), so that a test can SIGKILL or
 * SIGSTOP one like a crashed or frozen machine. Each instance's JSON log lines (pino, stdout) are
 * parsed and kept; a test waits on predicates over them, never on the clock.
 */

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One parsed log line; `seq` is its position in the instance's log (see `InstanceProcess.mark`). */
export interface LogLine {
  seq: number;
  msg?: string;
  level?: string;
  time?: string;
  task?: string;
  [field: string]: unknown;
}

export interface InstanceOptions {
  /** The instance id (`--instance-id`): names the instance in logs and kafkajs client ids. */
  name: string;
  appId: string;
  /**
   * `counting` (default): the engine's reference topology, `input` → `output`. `product`: what
   * `saldo run` runs; `input` and `output` are its transactions and balances topics, and `env`
   * gives the registry, Redis and key prefix.
   */
  topology?: 'counting' | 'product';
  input: string;
  output: string;
  /** Product: its account-limits (input table) and fraud-alerts topics. */
  fraudTopics?: { accountLimits: string; fraudAlerts: string };
  /** The instance's own state directory: each instance is a separate machine. */
  stateDir: string;
  brokers: string[];
  /** Extra environment, e.g. SALDO_SESSION_TIMEOUT_MS. */
  env?: Record<string, string>;
  /** When set, the raw stdout and stderr of the process are also written to `<logDir>/<name>-<n>.log`. */
  logDir?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<InstanceProcess>();
let spawned = 0;

// Should the test process die before its afterAll runs, its children die with it.
process.once('exit', () => {
  for (const instance of live) instance.signal('SIGKILL');
});

export class InstanceProcess {
  readonly name: string;
  readonly options: InstanceOptions;
  readonly lines: LogLine[] = [];
  /** stdout lines that are not JSON, and stderr lines. */
  readonly otherOutput: string[] = [];
  readonly exited: Promise<Exit>;
  readonly logFile: string | undefined;
  #exit: Exit | undefined;
  readonly #child: ChildProcess;
  readonly #listeners = new Set<() => void>();
  readonly #file: WriteStream | undefined;

  private constructor(options: InstanceOptions) {
    this.name = options.name;
    this.options = options;
    const topics =
      options.topology === 'product'
        ? [
            '--topology',
            'product',
            '--transactions-topic',
            options.input,
            '--balances-topic',
            options.output,
            ...(options.fraudTopics === undefined
              ? []
              : [
                  '--limits-topic',
                  options.fraudTopics.accountLimits,
                  '--alerts-topic',
                  options.fraudTopics.fraudAlerts,
                ]),
          ]
        : ['--topology', 'counting', '--input', options.input, '--output', options.output];
    const args = [
      'cli/main.ts',
      'run',
      ...topics,
      '--app-id',
      options.appId,
      '--state-dir',
      options.stateDir,
      '--instance-id',
      options.name,
      '--log-level',
      'info',
    ];
    spawned++;
    if (options.logDir) {
      this.logFile = join(options.logDir, `${options.name}-${spawned}.log`);
      this.#file = createWriteStream(this.logFile);
    }
    this.#child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      // The ops server on a free port (several instances share the machine), unless `env` names one.
      env: {
        ...process.env,
        KAFKA_BROKERS: options.brokers.join(','),
        SALDO_OPS_PORT: '0',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise<Exit>((resolveExit) => {
      this.#child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(this);
        this.#file?.end();
        this.#notify();
        resolveExit(this.#exit);
      });
    });
    this.#child.once('error', (error) => this.otherOutput.push(`spawn error: ${error.message}`));
    this.#readLines(this.#child.stdout, (line) => this.#onStdout(line));
    this.#readLines(this.#child.stderr, (line) => {
      this.otherOutput.push(line);
      this.#file?.write(`[stderr] ${line}\n`);
      this.#notify();
    });
    live.add(this);
  }

  static spawn(options: InstanceOptions): InstanceProcess {
    return new InstanceProcess(options);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The exit status once the process has exited. */
  get exit(): Exit | undefined {
    return this.#exit;
  }

  #readLines(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
    if (!stream) return;
    let buffered = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.trim() !== '') onLine(line);
      }
    });
    stream.on('end', () => {
      if (buffered.trim() !== '') onLine(buffered);
      buffered = '';
    });
  }

  #onStdout(line: string): void {
    this.#file?.write(`${line}\n`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      this.lines.push({ ...(parsed as Record<string, unknown>), seq: this.lines.length });
    } else {
      this.otherOutput.push(line);
    }
    this.#notify();
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }

  /** Called on every new log line and on exit; returns an unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A position in the log: `linesSince(mark)` are the lines logged after it. */
  mark(): number {
    return this.lines.length;
  }

  linesSince(mark = 0): LogLine[] {
    return this.lines.slice(mark);
  }

  /** The port of the instance's ops server (GET /metrics, /healthz, /readyz), once it listens. */
  opsPort(): number | undefined {
    const line = this.lines.findLast((l) => l.msg === 'ops server listening');
    return typeof line?.port === 'number' ? line.port : undefined;
  }

  /** The partitions of the latest "partitions assigned" line since `mark` (undefined if none). */
  assignedPartitions(mark = 0): number[] | undefined {
    for (let i = this.lines.length - 1; i >= mark; i--) {
      const line = this.lines[i] as LogLine;
      if (line.msg === 'partitions assigned' && Array.isArray(line.partitions))
        return line.partitions as number[];
    }
    return undefined;
  }

  /** The state of each task, from its logged transitions ("task 0_3 restoring -> running"). */
  taskStates(mark = 0): Map<string, string> {
    const states = new Map<string, string>();
    for (const line of this.linesSince(mark)) {
      if (
        typeof line.task === 'string' &&
        typeof line.to === 'string' &&
        line.msg?.startsWith(`task ${line.task} `)
      ) {
        states.set(line.task, line.to);
      }
    }
    return states;
  }

  /** Partition numbers whose task is running (last logged transition since `mark`: -> running). */
  runningPartitions(mark = 0): number[] {
    return [...this.taskStates(mark)]
      .filter(([, state]) => state === 'running')
      .map(([task]) => partitionOfTask(task))
      .sort((a, b) => a - b);
  }

  /** Sends a signal (SIGSTOP / SIGCONT / SIGTERM / SIGKILL …) if the process is still there. */
  signal(signal: NodeJS.Signals): void {
    if (this.#exit === undefined) this.#child.kill(signal);
  }

  /** SIGKILL (a crash: no commit, no leaving the group) and wait for the exit. */
  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (a clean stop), then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 20_000): Promise<Exit> {
    if (this.#exit) return this.#exit;
    this.signal('SIGCONT'); // a stopped process would not see the SIGTERM
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The last log lines (and any stderr), for failure messages. */
  tail(count = 25): string {
    const lines = this.lines.slice(-count).map((l) => {
      const { seq, time, level, msg, app: _app, instance: _instance, ...rest } = l;
      return `  #${seq} ${time ?? ''} ${level ?? ''} ${msg ?? ''} ${JSON.stringify(rest)}`;
    });
    const other = this.otherOutput.slice(-10).map((l) => `  [other] ${l}`);
    const status = this.#exit
      ? ` (exited: code=${this.#exit.code} signal=${this.#exit.signal})`
      : ` (pid ${this.pid})`;
    return [
      `instance ${this.name}${status}${this.logFile ? `, log ${this.logFile}` : ''}:`,
      ...lines,
      ...other,
    ].join('\n');
  }

  /** Waits for a log line since `mark` matching `predicate`; fails early if the process exits. */
  async waitForLine(
    predicate: (line: LogLine) => boolean,
    opts: { since?: number; timeoutMs: number; what: string },
  ): Promise<LogLine> {
    let found: LogLine | undefined;
    let scanned = opts.since ?? 0;
    await waitUntil(
      () => {
        for (; scanned < this.lines.length; scanned++) {
          const line = this.lines[scanned] as LogLine;
          if (predicate(line)) {
            found = line;
            return true;
          }
        }
        if (this.#exit) throw new Error(`${this.name} exited while waiting for ${opts.what}\n${this.tail()}`);
        return false;
      },
      { timeoutMs: opts.timeoutMs, what: opts.what, instances: [this] },
    );
    return found as LogLine;
  }
}

export function partitionOfTask(taskId: string): number {
  const match = /^\d+_(\d+)$/.exec(taskId);
  if (!match) throw new Error(`not a task id: ${taskId}`);
  return Number(match[1]);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `condition` holds, re-checking it whenever one of `instances` logs a line (or exits)
 * and at least every `pollMs` (for conditions on Kafka, e.g. committed offsets). On timeout the
 * error names what was awaited and shows the instances' last log lines.
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  opts: {
    timeoutMs: number;
    what: string;
    instances?: InstanceProcess[];
    pollMs?: number;
    detail?: () => string | Promise<string>;
  },
): Promise<void> {
  const instances = opts.instances ?? [];
  const deadline = Date.now() + opts.timeoutMs;
  let wake: (() => void) | undefined;
  const unsubscribe = instances.map((i) => i.onChange(() => wake?.()));
  try {
    for (;;) {
      if (await condition()) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        const detail = opts.detail ? `\n${await opts.detail()}` : '';
        throw new Error(
          `timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${detail}\n${instances.map((i) => i.tail()).join('\n')}`,
        );
      }
      await Promise.race([new Promise<void>((r) => (wake = r)), sleep(Math.min(left, opts.pollMs ?? 250))]);
      wake = undefined;
    }
  } finally {
    for (const u of unsubscribe) u();
  }
}

/** Kills every instance still alive (SIGKILL): for afterEach/afterAll, so that no child outlives a test. */
export async function killAllInstances(): Promise<void> {
  await Promise.all([...live].map((i) => i.kill()));
}

/** Stops every instance still alive cleanly (SIGTERM, SIGKILL after the grace period). */
export async function stopAllInstances(graceMs = 20_000): Promise<void> {
  await Promise.all([...live].map((i) => i.stop(graceMs)));
}

/**
 * Waits until every instance holds some partitions and together they hold exactly `all`
 * (assignments logged since each instance's mark, when given).
 */
export async function waitUntilSharing(
  shares: Array<{ instance: InstanceProcess; since?: number }>,
  all: number[],
  opts: { timeoutMs: number; what: string },
): Promise<void> {
  const expected = [...all].sort((x, y) => x - y).join();
  await waitUntil(
    () => {
      const held = shares.map(({ instance, since }) => instance.assignedPartitions(since ?? 0) ?? []);
      return (
        held.every((ps) => ps.length > 0) &&
        held
          .flat()
          .sort((x, y) => x - y)
          .join() === expected
      );
    },
    { ...opts, instances: shares.map((s) => s.instance) },
  );
}
