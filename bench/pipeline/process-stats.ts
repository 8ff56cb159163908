// CPU time and memory of a process from /proc (Linux): all its threads (stream threads are worker
// threads of one process) count.
import { readFile } from 'node:fs/promises';

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds the process has used so far; undefined once it is gone. */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size now and at its peak (VmHWM), in MB; undefined once the process is gone. */
export async function processMemoryMb(
  pid: number,
): Promise<{ rssMb: number; peakRssMb: number } | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (status === undefined) return undefined;
  const kb = (name: string) =>
    Number(
      /^\S+:\s+(\d+) kB$/m.exec(status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[1] ?? NaN,
    );
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}
