// One saldo instance for the demo: `saldo run` from the sources, as a child process whose JSON
// log goes to a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { REPO_ROOT } from '../platform/options.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class DemoInstance {
  readonly #child: ChildProcess;
  readonly #logFile: string;
  #exited: number | null | undefined;

  private constructor(child: ChildProcess, logFile: string) {
    this.#child = child;
    this.#logFile = logFile;
    child.once('exit', (code) => {
      this.#exited = code;
    });
  }

  static start(args: string[], env: NodeJS.ProcessEnv, logFile: string): DemoInstance {
    const log = createWriteStream(logFile);
    const child = spawn(process.execPath, ['cli/main.ts', 'run', ...args], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    return new DemoInstance(child, logFile);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Resolves once the app logs that it runs; fails if it exits first or takes too long. */
  async running(timeoutMs: number): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; ; await sleep(250)) {
      const log = await readFile(this.#logFile, 'utf8').catch(() => '');
      if (log.includes('"msg":"app starting -> running"')) return;
      if (this.#exited !== undefined) {
        throw new Error(
          `saldo exited (code ${this.#exited}) before running:\n${log.split('\n').slice(-15).join('\n')}`,
        );
      }
      if (Date.now() > deadline)
        throw new Error(`saldo did not start within ${timeoutMs} ms; see ${this.#logFile}`);
    }
  }

  /** SIGTERM: finish, commit, leave the group; SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.#exited !== undefined) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
