import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { KAFKA_VERSION } from '../scripts/platform/kafka.ts';

export interface MachineInfo {
  /** As `nproc`: the CPUs this process may run on. */
  nproc: number;
  memoryGiB: number;
  cpuModel: string;
  node: string;
  kafka: string;
  /** 1, 5 and 15 minute load averages at the start of the run. */
  loadAverage: [number, number, number];
  /** The engine's source: commit, and whether processor/, state/ or topologies/ had local changes. */
  source: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function loadAverage(): [number, number, number] {
  const [a = 0, b = 0, c = 0] = loadavg();
  return [a, b, c];
}

const REPO = fileURLToPath(new URL('../', import.meta.url));

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/** `<commit> (<subject>)`, plus a note when the files saldo runs (engine, topologies, schemas, CLI) differ from it. */
export function engineSource(): string {
  const commit = git(['log', '-1', '--format=%h (%s)'])?.trim();
  if (commit === undefined) return 'unknown (not a git checkout)';
  const dirty = git(['status', '--porcelain', '--', 'processor', 'state', 'topologies', 'schemas', 'cli']);
  const changed = (dirty ?? '')
    .split('\n')
    .filter((l) => l.length > 3)
    .map((l) => l.slice(3).split('/')[0]);
  return changed.length > 0
    ? `${commit} + uncommitted changes in ${[...new Set(changed)].join(', ')}`
    : commit;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    cpuModel: cpuModel(),
    node: process.version,
    kafka: KAFKA_VERSION,
    loadAverage: loadAverage(),
    source: engineSource(),
  };
}

export function formatLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(' / ');
}
