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
  return { rssMb: statusKb(status, 'VmRSS') / 1024, peakRssMb: statusKb(status, 'VmHWM') / 1024 };
}

/** The most anonymous and file-backed resident memory a process held while sampled, in MB. */
export interface MemorySplit {
  /** RssAnon: V8 heaps, LevelDB's memtables and block caches, buffers. */
  peakAnonMb: number;
  /** RssFile: LevelDB reads its table files through mmap, so their pages count here, as does node's binary. */
  peakFileMb: number;
}

/**
 * Samples a process's RssAnon and RssFile every `everyMs` until stopped. VmHWM gives the peak of
 * their sum exactly; this tells what it was made of (the file-backed part is page cache that the
 * kernel reclaims under pressure, the anonymous part is not).
 */
export function sampleMemorySplit(pid: number, everyMs = 1_000): { stop(): MemorySplit | undefined } {
  let split: MemorySplit | undefined;
  const sample = async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
    if (status === undefined) return;
    const anon = statusKb(status, 'RssAnon') / 1024;
    const file = statusKb(status, 'RssFile') / 1024;
    if (!Number.isFinite(anon) || !Number.isFinite(file)) return;
    split = {
      peakAnonMb: Math.max(split?.peakAnonMb ?? 0, anon),
      peakFileMb: Math.max(split?.peakFileMb ?? 0, file),
    };
  };
  const timer = setInterval(() => void sample(), everyMs);
  timer.unref();
  void sample();
  return {
    stop() {
      clearInterval(timer);
      return split;
    },
  };
}

function statusKb(status: string, name: string): number {
  const line = status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '';
  return Number(/^\S+:\s+(\d+) kB$/.exec(line)?.[1] ?? NaN);
}
