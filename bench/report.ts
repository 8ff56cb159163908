/** The benchmark's figures, targets, and their rendering (terminal table and BENCHMARKS.md section). */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import type { CoreResult } from './engine-core.ts';
import { formatLoad, type MachineInfo } from './machine.ts';
import type { LogTrouble } from './phase.ts';

export const TARGETS = {
  eosRecordsPerSec: 25_000,
  alosRecordsPerSec: 50_000,
  restoreRecordsPerSec: 100_000,
  peakRssMb: 400,
} as const;

export interface ThroughputFigures {
  guarantee: 'exactly-once' | 'at-least-once';
  records: number;
  recordsPerSec: number;
  windowMs: number;
  withStartupPerSec: number;
  startupMs: number;
  commitP50Ms: number;
  commitP99Ms: number;
  commitMaxMs: number;
  /** p50/p99 estimated from the engine's Prometheus buckets, for comparison. */
  histogramP50Ms: number;
  histogramP99Ms: number;
  commits: number;
  commitFailures: number;
  recordsProcessed: number;
  deadLetters: number;
  peakRssMb: number;
  /** Peaks of the V8 heap (total) and of memory outside it (Buffers, native), MB. */
  heapPeakMb: number;
  externalPeakMb: number;
  /** Engine CPU from app.start() to the stop request, and over the processing window only. */
  cpuSeconds: number;
  processingCpuSeconds: number;
  eventLoopUtilization: number;
  machineBusy: number | undefined;
  machineSteal: number | undefined;
  loadAtStart: [number, number, number];
  verified?: string[] | undefined;
  trouble: LogTrouble;
}

export interface RestoreFigures {
  keys: number;
  records: number;
  recordsPerSec: number;
  windowMs: number;
  slowestTaskMs: number;
  firstRecordsAfterMs: number;
  dataPerSec: number;
  tasks: number;
  /** saldo_restore_records_total at the end: more than `records` when a failed attempt was retried. */
  applied: number;
  trouble: LogTrouble;
  /** The seeding run that wrote the changelog (exactly-once, one key per record). */
  seed: ThroughputFigures;
  peakRssMb: number;
  cpuSeconds: number;
  machineBusy: number | undefined;
  machineSteal: number | undefined;
  loadAtStart: [number, number, number];
}

export interface BenchReport {
  date: Date;
  command: string;
  machine: MachineInfo;
  brokers: string;
  brokerSource: string;
  records: number;
  partitions: number;
  accounts: number;
  commitIntervalMs: number;
  produce: { records: number; perSec: number } | undefined;
  eos: ThroughputFigures | undefined;
  alos: ThroughputFigures | undefined;
  restore: RestoreFigures | undefined;
  /** The engine without Kafka (bench/engine-core.ts). */
  core: CoreResult | undefined;
  profiles: Array<{ title: string; markdown: string; file: string }>;
  /** Phases that failed (the run goes on with the next phase). */
  failures: string[];
  workDir: string;
  profiled: boolean;
  /** The engine process's Node/V8 options. */
  nodeOptions: string[];
  /** Where the engine ran kafkajs (config kafkaClientThread). */
  clientThread: 'worker' | 'main';
  /** Stream threads of the exactly-once and at-least-once phases (config streamThreads). */
  streamThreads: number;
  /** The engine ran from its .ts sources (Node's type stripping) or compiled (--from-build). */
  engineFrom: 'source' | 'build';
  /** MALLOC_ARENA_MAX of the engine process; undefined: glibc's default. */
  mallocArenaMax: number | undefined;
  /** engineSource() when the run ended (the working tree may change under a long run). */
  sourceAtEnd?: string;
}

export interface JsonSummary {
  eosRecordsPerSec: number | null;
  /** Engine CPU over the exactly-once processing window, per record. */
  eosCpuMicrosPerRecord: number | null;
  alosRecordsPerSec: number | null;
  restoreRecordsPerSec: number | null;
  commitP99Ms: number | null;
  peakRssMb: number | null;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(1) : n.toFixed(0)) : 'n/a');
export const pct = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? 'n/a' : `${Math.round(n * 100)}%`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

export function peakRssMb(r: BenchReport): number | null {
  const all = [r.eos?.peakRssMb, r.alos?.peakRssMb, r.restore?.peakRssMb, r.restore?.seed.peakRssMb].filter(
    (v): v is number => v !== undefined,
  );
  return all.length === 0 ? null : Math.max(...all);
}

export function jsonSummary(r: BenchReport): JsonSummary {
  const p99s = [r.eos?.commitP99Ms, r.alos?.commitP99Ms].filter(
    (v): v is number => v !== undefined && Number.isFinite(v),
  );
  const round1 = (n: number | undefined) =>
    n === undefined || !Number.isFinite(n) ? null : Math.round(n * 10) / 10;
  return {
    eosRecordsPerSec: r.eos ? Math.round(r.eos.recordsPerSec) : null,
    eosCpuMicrosPerRecord: r.eos ? round1((r.eos.processingCpuSeconds * 1e6) / r.eos.records) : null,
    alosRecordsPerSec: r.alos ? Math.round(r.alos.recordsPerSec) : null,
    restoreRecordsPerSec: r.restore ? Math.round(r.restore.recordsPerSec) : null,
    commitP99Ms: p99s.length === 0 ? null : round1(Math.max(...p99s)),
    peakRssMb: round1(peakRssMb(r) ?? undefined),
  };
}

export interface TargetCheck {
  what: string;
  measured: string;
  target: string;
  ok: boolean;
}

export function targetChecks(r: BenchReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  if (r.eos)
    checks.push({
      what: 'exactly-once records/s',
      measured: int(r.eos.recordsPerSec),
      target: `≥ ${int(TARGETS.eosRecordsPerSec)}`,
      ok: r.eos.recordsPerSec >= TARGETS.eosRecordsPerSec,
    });
  if (r.alos)
    checks.push({
      what: 'at-least-once records/s',
      measured: int(r.alos.recordsPerSec),
      target: `≥ ${int(TARGETS.alosRecordsPerSec)}`,
      ok: r.alos.recordsPerSec >= TARGETS.alosRecordsPerSec,
    });
  if (r.restore)
    checks.push({
      what: 'restore records/s',
      measured: int(r.restore.recordsPerSec),
      target: `≥ ${int(TARGETS.restoreRecordsPerSec)}`,
      ok: r.restore.recordsPerSec >= TARGETS.restoreRecordsPerSec,
    });
  const rss = peakRssMb(r);
  if (rss !== null)
    checks.push({
      what: 'peak RSS of the engine (MB)',
      measured: int(rss),
      target: `≤ ${TARGETS.peakRssMb}`,
      ok: rss <= TARGETS.peakRssMb,
    });
  return checks;
}

function throughputRow(label: string, t: ThroughputFigures): string {
  return `| ${label} | ${int(t.records)} | **${int(t.recordsPerSec)}** | ${int(t.withStartupPerSec)} | ${ms(t.commitP50Ms)} / ${ms(t.commitP99Ms)} / ${ms(t.commitMaxMs)} | ${ms(t.histogramP50Ms)} / ${ms(t.histogramP99Ms)} | ${int(t.commits)} | ${int(t.peakRssMb)} / ${int(t.heapPeakMb)} / ${int(t.externalPeakMb)} | ${t.cpuSeconds.toFixed(1)} s | ${int((t.processingCpuSeconds * 1e6) / t.records)} | ${pct(t.eventLoopUtilization)} | ${pct(t.machineBusy)} / ${pct(t.machineSteal)} | ${formatLoad(t.loadAtStart)} |`;
}

function troubleNotes(t: LogTrouble): string[] {
  const notes: string[] = [];
  if (t.rejoins > 0)
    notes.push(
      `${t.rejoins} kafkajs "coordinator is not aware of this member, re-joining" (session timeouts: the group rebalanced)`,
    );
  if (t.connectionTimeouts > 0) notes.push(`${t.connectionTimeouts} kafkajs connection timeouts`);
  if (t.taskInitFailures > 0) notes.push(`${t.taskInitFailures} task initialisation failures (retried)`);
  if (t.storeOpenRetries > 0)
    notes.push(`${t.storeOpenRetries} store-open retries (stores still locked by a closing task)`);
  if (t.commitFailures > 0) notes.push(`${t.commitFailures} commit failures logged`);
  if (t.fenced > 0) notes.push(`${t.fenced} tasks fenced`);
  if (t.other > 0) notes.push(`${t.other} other warn/error log lines`);
  return notes;
}

/** CPU steal from which a phase's records/s say more about the VM's neighbours than about saldo. */
export const STARVED_STEAL_SHARE = 0.1;

/**
 * The phases during which the hypervisor took at least STARVED_STEAL_SHARE of the machine's CPU
 * time. On a shared VM the same code then runs much slower (2026-11-24: 21 to 54 µs of CPU per
 * record within an hour), so a target missed in such a phase is a measurement of the VM first.
 */
export function starvedPhases(r: BenchReport): Array<{ phase: string; steal: number }> {
  const phases: Array<[string, number | undefined]> = [
    ['exactly-once', r.eos?.machineSteal],
    ['at-least-once', r.alos?.machineSteal],
    ['restore', r.restore?.machineSteal],
  ];
  return phases.flatMap(([phase, steal]) =>
    steal !== undefined && Number.isFinite(steal) && steal >= STARVED_STEAL_SHARE ? [{ phase, steal }] : [],
  );
}

function starvedNote(r: BenchReport): string | undefined {
  const starved = starvedPhases(r);
  if (starved.length === 0) return undefined;
  const list = starved.map((s) => `${s.phase} ${pct(s.steal)}`).join(', ');
  return `**The VM was starved:** CPU steal (the hypervisor running other guests) was ${list} of the machine's CPU time (≥ ${pct(STARVED_STEAL_SHARE)}). Those records/s understate the engine; compare CPU µs/record, and run again when steal is low.`;
}

/** The results as Markdown: readable on a terminal, and the body of a BENCHMARKS.md section. */
export function formatResults(r: BenchReport): string {
  const lines: string[] = [];
  if (r.failures.length > 0) lines.push(...r.failures.map((f) => `**FAILED** ${f}`), '');
  lines.push('| target | measured | target | result |', '| --- | ---: | ---: | --- |');
  for (const c of targetChecks(r))
    lines.push(`| ${c.what} | ${c.measured} | ${c.target} | ${verdict(c.ok)} |`);
  lines.push('');
  const starved = starvedNote(r);
  if (starved !== undefined) lines.push(starved, '');
  const tp = [
    r.eos ? ['exactly-once', r.eos] : undefined,
    r.alos ? ['at-least-once', r.alos] : undefined,
    r.restore ? ['exactly-once, distinct keys (restore seed)', r.restore.seed] : undefined,
  ].filter((x): x is [string, ThroughputFigures] => x !== undefined);
  if (tp.length > 0) {
    lines.push(
      '| processing run | records | records/s | records/s incl. start-up | commit p50 / p99 / max ms | histogram p50 / p99 ms | commits | peak RSS / heap / external MB | engine CPU | CPU µs/record | event loop busy | machine busy / steal | load at start |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const [label, t] of tp) lines.push(throughputRow(label, t));
    lines.push('');
  }
  if (r.core) {
    const c = r.core;
    lines.push(
      '| engine core, no Kafka (one task, in-memory commit unit) | records | accounts | CPU µs/record | records/s | commits | records produced per input |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| processors, serdes, task transaction, LevelDB, commit bookkeeping | ${int(c.records)} | ${int(c.accounts)} | **${c.cpuUsPerRecord.toFixed(1)}** | ${int(c.recordsPerSec)} | ${int(c.commits)} | ${c.outgoingPerRecord.toFixed(2)} |`,
      '',
    );
  }
  if (r.restore) {
    const x = r.restore;
    lines.push(
      '| restore | changelog records | keys | records/s | wall ms (all tasks) | slowest task ms | first records after ms | records/s once flowing | peak RSS MB | engine CPU | machine busy / steal | load at start |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      `| ${x.tasks} tasks in parallel | ${int(x.records)} | ${int(x.keys)} | **${int(x.recordsPerSec)}** | ${int(x.windowMs)} | ${int(x.slowestTaskMs)} | ${int(x.firstRecordsAfterMs)} | ${int(x.dataPerSec)} | ${int(x.peakRssMb)} | ${x.cpuSeconds.toFixed(1)} s | ${pct(x.machineBusy)} / ${pct(x.machineSteal)} | ${formatLoad(x.loadAtStart)} |`,
      '',
    );
  }
  const checks: string[] = [];
  for (const [label, t] of tp) {
    const problems: string[] = [];
    if (t.recordsProcessed !== t.records)
      problems.push(
        `processed ${int(t.recordsProcessed)} records for ${int(t.records)} inputs (uncommitted work redone after a rebalance or failed commit)`,
      );
    if (t.deadLetters > 0) problems.push(`${int(t.deadLetters)} dead letters`);
    if (t.commitFailures > 0) problems.push(`${int(t.commitFailures)} failed commits`);
    problems.push(...troubleNotes(t.trouble));
    if (t.verified && t.verified.length > 0)
      problems.push(`verification: ${t.verified.slice(0, 3).join('; ')}`);
    const verifiedNote = t.verified ? ', outputs verified against the reference totals' : '';
    checks.push(
      `- ${label}: ${problems.length === 0 ? `all ${int(t.records)} records processed once, no dead letters, no failed commits${verifiedNote}` : problems.join('; ')}`,
    );
  }
  if (r.restore) {
    const x = r.restore;
    const problems: string[] = [];
    if (x.tasks !== r.partitions)
      problems.push(`${x.tasks} task restores reported for ${r.partitions} partitions`);
    if (x.records < x.keys)
      problems.push(
        `the reported restores applied ${int(x.records)} records for ${int(x.keys)} keys: an earlier attempt failed and was retried (see the engine log)`,
      );
    if (x.applied > x.records)
      problems.push(
        `${int(x.applied)} changelog records applied in all (${int(x.applied - x.records)} by failed attempts)`,
      );
    problems.push(...troubleNotes(x.trouble));
    checks.push(
      `- restore: ${problems.length === 0 ? `every task restored once, ${int(x.records)} records for ${int(x.keys)} keys` : `**${problems.join('; ')}**`}`,
    );
  }
  if (checks.length > 0) lines.push('Sanity:', ...checks, '');
  return lines.join('\n');
}

export function formatHeader(r: BenchReport): string {
  const m = r.machine;
  return [
    `- command: \`${r.command}\``,
    `- machine: ${m.nproc} CPUs (nproc), ${m.memoryGiB.toFixed(1)} GiB, ${m.cpuModel}; Node ${m.node}; Kafka ${m.kafka} (single KRaft broker on the same machine, ${r.brokers}, ${r.brokerSource})`,
    `- engine: ${m.source}` +
      (r.sourceAtEnd && r.sourceAtEnd !== m.source
        ? ` at the start; **${r.sourceAtEnd} at the end: the engine changed during the run**`
        : ''),
    `- load average at start: ${formatLoad(m.loadAverage)} (1 / 5 / 15 min)`,
    `- engine process: \`${r.mallocArenaMax === undefined ? '' : `MALLOC_ARENA_MAX=${r.mallocArenaMax} `}node ${r.nodeOptions.join(' ')}\`` +
      (r.nodeOptions.length > 0 ? ' (heap limits as docs/operations.md recommends)' : ' (no heap limits)') +
      `; Kafka client thread: ${r.clientThread}` +
      `; **${r.streamThreads} stream thread${r.streamThreads === 1 ? '' : 's'}** (processing phases)` +
      (r.engineFrom === 'build'
        ? '; engine compiled to JavaScript, as deployed'
        : '; engine run from its .ts sources (`--from-sources`)'),
    `- workload: counting topology, ${int(r.records)} records over ${r.partitions} partitions, ${int(r.accounts)} accounts; commit interval ${r.commitIntervalMs} ms` +
      (r.produce ? `; input pre-produced at ${int(r.produce.perSec)} records/s (not timed)` : ''),
    r.profiled ? '- **the engine ran under `--cpu-prof`**: figures include profiler overhead' : '',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

const PREAMBLE = `# Benchmarks

Results of \`npm run bench:engine\` (bench/engine.ts), newest last. Each section is appended by a run.

What is measured (see bench/engine.ts for the details):

- **records/s**: the counting topology (processor/ + topologies/counting.ts) in its own process
  (bench/engine-runner.ts), on input pre-produced to fresh topics; from the moment the first task
  is running to the moment the app's consumer group has committed the last input offset (polled
  every 100 ms with the admin API; with exactly-once, committed offsets are part of the
  transactions, so every output is committed by then). "incl. start-up" also counts joining the
  group and creating the tasks.
- **commit latency**: every observation of the engine's own \`saldo_commit_latency_seconds\`
  (one task commit: produce, offsets, end of transaction, state flush), captured exactly in the
  engine process; the p50/p99 estimated from the histogram's buckets are shown next to them.
- **restore**: a changelog with one record per key (written by an exactly-once run over
  distinct accounts, so it carries transaction markers), local state deleted, a new instance
  started: changelog records restored per second across the tasks restoring in parallel, from
  the first task's restore start to the last one's end (the engine's onRestored summaries).
- **peak RSS**: \`process.resourceUsage().maxRSS\` of the engine process (max over all runs).
- **engine core** (bench/engine-core.ts): one StreamTask of the same topology fed from memory,
  committing every interval through a commit unit that only returns offsets: the engine's own
  CPU per record (processors, serdes, task transaction, LevelDB), without any Kafka client work.
- **engine CPU** is user + system time of the engine process from start to stop; **CPU µs/record**
  the engine's CPU over the processing window divided by the records (less sensitive than records/s
  to other load on the machine); **event loop busy** the main thread's event-loop utilisation over
  the processing window; **machine busy** the share of all cores in use during the run (the broker
  shares the machine), and **steal** the part of it that the hypervisor gave to other guests: on a
  shared VM the same code runs slower when steal is high, so compare runs together with it. **heap / external** are the peaks of the V8 heap and of memory outside it
  (Buffers), sampled every 100 ms, next to the peak RSS.
`;

export async function appendToBenchmarks(file: string, r: BenchReport): Promise<void> {
  let existing: string | undefined;
  try {
    existing = await readFile(file, 'utf8');
  } catch {
    existing = undefined;
  }
  if (existing === undefined) await writeFile(file, PREAMBLE);
  const parts = [
    '',
    `## ${r.date.toISOString().replace(/\.\d+Z$/, 'Z')} — ${int(r.records)} records, ${r.partitions} partitions`,
    '',
    formatHeader(r),
    '',
    formatResults(r),
  ];
  for (const p of r.profiles) parts.push(`### Profile: ${p.title}`, '', p.markdown, '');
  await appendFile(file, `${parts.join('\n').trimEnd()}\n`);
}
