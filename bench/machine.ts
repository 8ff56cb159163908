import { readFileSync } from 'node:fs';
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

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    memoryGiB: totalmem() / 1024 ** 3,
    cpuModel: cpuModel(),
    node: process.version,
    kafka: KAFKA_VERSION,
    loadAverage: loadAverage(),
  };
}

export function formatLoad(load: readonly number[]): string {
  return load.map((l) => l.toFixed(2)).join(' / ');
}
