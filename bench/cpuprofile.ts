/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, self time per
 * area (kafkajs, LevelDB, the engine's own layers, GC, idle …) and inclusive time of the engine's
 * and kafkajs' main entry points.
 *
 *   node bench/cpuprofile.ts <file.cpuprofile> [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  where: string;
  area: string;
  ms: number;
  share: number;
}

export interface AreaTime {
  area: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time not idle: what the main thread actually spent. */
  busyMs: number;
  topSelf: FunctionTime[];
  areas: AreaTime[];
  /** Inclusive time of functions that appear in many stacks (each counted once per sample). */
  topInclusive: FunctionTime[];
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function shortUrl(url: string): string {
  if (url === '') return '';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.startsWith(ROOT)) path = path.slice(ROOT.length);
  const nm = path.lastIndexOf('node_modules/');
  return nm >= 0 ? path.slice(nm + 'node_modules/'.length) : path;
}

export function areaOf(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  if (url === '') {
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(idle)') return 'idle';
    if (frame.functionName === '(program)') return 'program (native, unattributed)';
    return 'native / V8 builtins';
  }
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(url)?.[1];
  if (!frame.url.includes('node_modules/')) {
    if (url.startsWith('processor/kafka/')) return 'saldo processor/kafka (adapter)';
    if (url.startsWith('processor/')) return 'saldo processor/';
    if (url.startsWith('state/')) return 'saldo state/';
    if (url.startsWith('topologies/')) return 'saldo topologies/';
    if (url.startsWith('bench/')) return 'bench';
    return url;
  }
  if (
    pkg === 'classic-level' ||
    pkg === 'abstract-level' ||
    pkg === 'level-transcoder' ||
    pkg === 'maybe-combine-errors' ||
    pkg === 'module-error'
  ) {
    return 'LevelDB (classic-level JS)';
  }
  return pkg ?? url;
}

function keyOf(frame: CallFrame): string {
  return `${frame.functionName || '(anonymous)'}\u0000${frame.url}\u0000${frame.lineNumber}`;
}

export async function summarizeProfile(file: string, top = 25): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // timeDeltas[i] is the time before sample i; attribute the gap after a sample to it.
    const delta = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(id, (self.get(id) ?? 0) + delta);
  }

  const selfByFunction = new Map<string, { frame: CallFrame; ms: number }>();
  const areas = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    totalMs += ms;
    const area = areaOf(frame);
    if (area === 'idle') idleMs += ms;
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const key = keyOf(frame);
    const entry = selfByFunction.get(key) ?? { frame, ms: 0 };
    entry.ms += ms;
    selfByFunction.set(key, entry);
  }
  const busyMs = totalMs - idleMs;

  // Inclusive: walk each sampled node's stack once, counting each function at most once.
  const inclusive = new Map<string, { frame: CallFrame; ms: number }>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) {
      const frame = (byId.get(node) as ProfileNode).callFrame;
      const key = keyOf(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = inclusive.get(key) ?? { frame, ms: 0 };
      entry.ms += ms;
      inclusive.set(key, entry);
    }
  }

  const toTimes = (entries: Iterable<{ frame: CallFrame; ms: number }>, exclude: (f: CallFrame) => boolean) =>
    [...entries]
      .filter((e) => !exclude(e.frame))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({
        name: e.frame.functionName || '(anonymous)',
        where: e.frame.url ? `${shortUrl(e.frame.url)}:${e.frame.lineNumber + 1}` : '',
        area: areaOf(e.frame),
        ms: e.ms,
        share: busyMs > 0 ? e.ms / busyMs : 0,
      }));

  const isIdle = (f: CallFrame) => f.functionName === '(idle)';
  const notInteresting = (f: CallFrame) =>
    f.url === '' ||
    shortUrl(f.url).startsWith('node:') ||
    f.functionName === '' ||
    f.functionName === '(root)';
  return {
    file,
    totalMs,
    busyMs,
    topSelf: toTimes(selfByFunction.values(), isIdle),
    areas: [...areas]
      .filter(([area]) => area !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([area, ms]) => ({ area, ms, share: busyMs > 0 ? ms / busyMs : 0 })),
    topInclusive: toTimes(inclusive.values(), notInteresting),
  };
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** Markdown tables (used both on the terminal and in BENCHMARKS.md). */
export function formatSummary(
  s: ProfileSummary,
  title: string,
  topAreas = 12,
  topSelf = 20,
  topIncl = 15,
): string {
  const lines: string[] = [];
  lines.push(
    `${title}: ${(s.totalMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy (main thread, idle excluded); shares are of busy time.`,
  );
  lines.push('');
  lines.push('| area | self ms | share |', '| --- | ---: | ---: |');
  for (const a of s.areas.slice(0, topAreas))
    lines.push(`| ${a.area} | ${a.ms.toFixed(0)} | ${pct(a.share)} |`);
  lines.push('');
  lines.push('| top self time | where | self ms | share |', '| --- | --- | ---: | ---: |');
  for (const f of s.topSelf.slice(0, topSelf))
    lines.push(`| \`${f.name}\` | ${f.where || f.area} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`);
  lines.push('');
  lines.push('| inclusive time | where | ms | share |', '| --- | --- | ---: | ---: |');
  for (const f of s.topInclusive.slice(0, topIncl))
    lines.push(`| \`${f.name}\` | ${f.where} | ${f.ms.toFixed(0)} | ${pct(f.share)} |`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/cpuprofile.ts <file.cpuprofile> [--top N]');
    process.exit(2);
  }
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
  console.log(formatSummary(await summarizeProfile(file, top), file, 20, top, top));
}
