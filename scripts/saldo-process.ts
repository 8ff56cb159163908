// `saldo run` as a child process, its JSON log in a file: what the demo starts (from the sources) and
// what the product benchmark measures (compiled, with the recommended Node options).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SaldoProcess {
  readonly #child: ChildProcess;
  readonly logFile: string;
  readonly #opsPort: number | undefined;
  #exit: number | null | undefined;

  private constructor(child: ChildProcess, logFile: string, opsPort: number | undefined) {
    this.#child = child;
    this.logFile = logFile;
    this.#opsPort = opsPort;
    child.once('exit', (code) => {
      this.#exit = code;
    });
  }

  /** `main`: cli/main.ts, or its build; `args` follow `run`. */
  static start(opts: {
    main: string;
    args: string[];
    env: NodeJS.ProcessEnv;
    nodeOptions?: string[];
    logFile: string;
    /** Its ops server's port; default: SALDO_OPS_PORT of `env`, or any free one. */
    opsPort?: number;
  }): SaldoProcess {
    const log = createWriteStream(opts.logFile);
    const child = spawn(process.execPath, [...(opts.nodeOptions ?? []), opts.main, 'run', ...opts.args], {
      // Its ops server on a free port unless told otherwise: 9464 may be another instance's.
      env: {
        SALDO_OPS_PORT: '0',
        ...opts.env,
        ...(opts.opsPort === undefined ? {} : { SALDO_OPS_PORT: String(opts.opsPort) }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new SaldoProcess(child, opts.logFile, opts.opsPort);
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** Resolves once the app logs that it runs; fails if it exits first or takes too long. */
  async running(timeoutMs: number): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(200)) {
      const log = await readFile(this.logFile, 'utf8').catch(() => '');
      if (log.includes('"msg":"app starting -> running"')) return;
      if (this.#exit !== undefined) {
        const tail = log.split('\n').slice(-15).join('\n');
        throw new Error(`saldo exited (code ${this.#exit}) before running; ${this.logFile} ends:\n${tail}`);
      }
      if (Date.now() > deadline)
        throw new Error(`saldo did not start within ${timeoutMs} ms; see ${this.logFile}`);
    }
  }

  /** Where its ops server (/metrics) listens: the port it was given, or the one it logged (at info). */
  async opsUrl(): Promise<string | undefined> {
    const given = this.#opsPort;
    if (given !== undefined && given !== 0) return `http://127.0.0.1:${given}`;
    const log = await readFile(this.logFile, 'utf8').catch(() => '');
    const line = log.split('\n').find((l) => l.includes('"msg":"ops server listening"'));
    const port = line === undefined ? undefined : /"port":(\d+)/.exec(line)?.[1];
    return port === undefined ? undefined : `http://127.0.0.1:${port}`;
  }

  /** SIGTERM (finish, commit, leave the group), then SIGKILL after `graceMs`. */
  async stop(graceMs = 60_000): Promise<void> {
    if (this.#exit !== undefined) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** The messages of log lines at warn and above, for the report. */
  async troubles(): Promise<string[]> {
    const log = await readFile(this.logFile, 'utf8').catch(() => '');
    return log
      .split('\n')
      .filter((line) => /"level":"(warn|error|fatal)"/.test(line))
      .map((line) => /"msg":"([^"]*)"/.exec(line)?.[1] ?? line.slice(0, 200));
  }
}
