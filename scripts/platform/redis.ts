// Redis from Debian's redis-server, on 127.0.0.1 without persistence.
import { rmSync } from 'node:fs';
import { appendLogLine } from './logs.ts';
import { HOST, servicePaths } from './options.ts';
import { findExecutable, runLogged } from './process.ts';
import { tcpExchange } from './probes.ts';
import type { LaunchSpec, ServiceContext, ServiceSpec } from './service.ts';

const SYSTEM_PATHS = ['/usr/bin/redis-server', '/usr/sbin/redis-server', '/usr/local/bin/redis-server'];

/** The redis-server binary; installs Debian's package (apt-get) when it is missing. */
export async function ensureRedisServer(logFile: string, log: (line: string) => void): Promise<string> {
  const found = findExecutable('redis-server', SYSTEM_PATHS);
  if (found !== undefined) return found;
  if (process.getuid?.() !== 0) {
    throw new Error('redis-server is not installed; run `sudo apt-get install -y redis-server`');
  }
  log('redis: redis-server missing; installing it with apt-get');
  appendLogLine(logFile, 'installing redis-server with apt-get');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runLogged('apt-get', ['update'], { cwd: '/', env, logFile, timeoutMs: 10 * 60_000 });
  await runLogged('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], {
    cwd: '/',
    env,
    logFile,
    timeoutMs: 10 * 60_000,
  });
  const installed = findExecutable('redis-server', SYSTEM_PATHS);
  if (installed === undefined) throw new Error('apt-get finished but redis-server is still missing');
  return installed;
}

const PING = Buffer.from('*1\r\n$4\r\nPING\r\n');

export async function redisAnswers(port: number, timeoutMs: number): Promise<boolean> {
  const answer = await tcpExchange(HOST, port, PING, (received) => received.includes('\r\n'), timeoutMs);
  return answer !== null && answer.toString('utf8').startsWith('+PONG\r\n');
}

export function redisService(context: ServiceContext): ServiceSpec {
  const { options, log } = context;
  const paths = servicePaths(options.homeDir, 'redis');

  return {
    name: 'redis',
    endpoint: `redis://${HOST}:${options.redisPort}`,
    paths,
    ports: [options.redisPort],
    processHint: 'redis-server',

    async prepare(): Promise<LaunchSpec> {
      const binary = await ensureRedisServer(paths.logFile, log);
      appendLogLine(paths.logFile, `starting ${binary}`);
      return {
        command: binary,
        args: [
          '--bind',
          HOST,
          '--port',
          String(options.redisPort),
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          paths.dir,
          '--daemonize',
          'no',
        ],
      };
    },

    isAnswering(timeoutMs: number): Promise<boolean> {
      return redisAnswers(options.redisPort, timeoutMs);
    },

    wipeData(): void {
      rmSync(paths.dataDir, { recursive: true, force: true }); // nothing persists (--save ''), kept for symmetry
    },
  };
}
