// node scripts/platform/cli.ts up [--fresh] [--secure] | down [--secure] | status [--secure]
//   up      start what is not running, wait for each; env lines on stdout, progress on stderr
//           (so `eval "$(npm run -s platform:up)"` works); exit 1 when a service fails to start
//   down    stop the processes recorded in the pid files (SIGTERM, then SIGKILL after ~20 s)
//   status  one line per service; exit 0 when all are running, else 3
//   --secure  the secure platform (SASL_SSL Kafka, TLS Redis with a password, https registry with
//             basic auth), its own home and ports; see docs/platform.md
import { envLines, platformDown, platformStatus, platformUp, PlatformStartError } from './index.ts';
import { killRunningCommands } from './process.ts';

const USAGE =
  'usage: node scripts/platform/cli.ts up [--fresh] [--secure] | down [--secure] | status [--secure]';

function printStartError(error: PlatformStartError): void {
  for (const failure of [error, ...error.alsoFailed]) {
    process.stderr.write(
      [
        '',
        `platform: ${failure.service} failed to start: ${failure.message}`,
        `platform: ${failure.service} log: ${failure.logFile}`,
        `----- last lines of ${failure.logFile} -----`,
        failure.logTail === '' ? '(no log lines for this failure)' : failure.logTail,
        '-----',
        '',
      ].join('\n'),
    );
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...flags] = argv;
  const unknown = flags.filter((flag) => flag !== '--fresh' && flag !== '--secure');
  if (unknown.length > 0 || (flags.includes('--fresh') && command !== 'up')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  // Without --secure, SALDO_PLATFORM_SECURE decides (options.ts).
  const mode = flags.includes('--secure') ? { secure: true } : {};
  switch (command) {
    case 'up': {
      const began = Date.now();
      try {
        const result = await platformUp({ ...mode, ...(flags.includes('--fresh') ? { fresh: true } : {}) });
        process.stderr.write(`platform: up in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
        process.stdout.write(`${envLines(result.endpoints).join('\n')}\n`);
        return 0;
      } catch (error) {
        if (error instanceof PlatformStartError) {
          printStartError(error);
          return 1;
        }
        throw error;
      }
    }
    case 'down': {
      const { stopped } = await platformDown(mode);
      process.stderr.write(
        `platform: down (${stopped.length === 0 ? 'nothing was running' : `stopped ${stopped.join(', ')}`})\n`,
      );
      return 0;
    }
    case 'status': {
      const statuses = await platformStatus(mode);
      for (const status of statuses) {
        const detail =
          status.state === 'stopped'
            ? 'stopped'
            : `${status.state} (pid ${String(status.pid)}, ${status.endpoint})`;
        process.stdout.write(`${status.name.padEnd(9)}${detail}\n`);
      }
      return statuses.every((status) => status.state === 'running') ? 0 : 3;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return 2;
  }
}

// Interrupted: stop Maven and friends (not detached, they would outlive us), then die of the signal.
// Services already spawned are detached and keep starting; the next `up` waits for them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killRunningCommands();
    process.kill(process.pid, signal);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`platform: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
