// The product benchmark's figures: targets, the section appended to BENCHMARKS.md, the JSON line.
import { appendFile } from 'node:fs/promises';
import { formatLoad, type MachineInfo } from '../machine.ts';
import type { MemorySplit } from './process-stats.ts';

export const PIPELINE_TARGETS = {
  transactionsPerSec: 20_000,
  e2eP99Ms: 500,
  alertP99Ms: 1_000,
  peakRssMb: 500,
} as const;

/** The same input through `saldo run --no-fraud`: what the fraud half adds shows beside it. */
export interface BalancesOnlyFigures {
  transactionsPerSec: number;
  cpuMicrosPerTransaction: number;
}

/** Produce time of the raising transaction → the alert visible to a read_committed reader. */
export interface AlertLatencyFigures {
  alerts: number;
  /** Alerts whose raising transaction was sent in the latency phase. */
  measured: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SaturationFigures {
  transactions: number;
  /** From the first commit to the last: start-up excluded. */
  windowMs: number;
  transactionsPerSec: number;
  cpuMicrosPerTransaction: number;
  machineSteal: number | undefined;
}

export interface LatencyFigures {
  rate: number;
  seconds: number;
  sent: number;
  /** Transactions whose snapshot was seen both on the topic and in Redis. */
  measured: number;
  /** Produce time → the snapshot visible to a read_committed reader and in Redis (the later of the two). */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  topicP50Ms: number;
  topicP99Ms: number;
  redisP50Ms: number;
  redisP99Ms: number;
  machineSteal: number | undefined;
  /** Cores saldo used while the traffic flowed. */
  saldoCores?: number | undefined;
  /** Cores the bench's own process (its producer of the pre-encoded traffic, and the watchers) used meanwhile. */
  harnessCores?: number | undefined;
  /** Cores the broker used meanwhile, where the platform runs it on this machine. */
  brokerCores?: number | undefined;
  /** Whose snapshots were timed: 'all', or a sample of the accounts (visibility.ts). */
  sampledAccounts?: string;
  /** Seconds of the phase (by send time) in which a transaction took longer than the e2e target. */
  slowSeconds?: number;
  /** The longest run of such consecutive seconds: one stall, or a slow stretch. */
  longestSlowStretch?: number;
  /** The highest median of any one second. */
  worstSecondP50Ms?: number | undefined;
  /** saldo's commits (all tasks) per second and their mean duration, from its /metrics. */
  commitsPerSecond?: number | undefined;
  meanCommitMs?: number | undefined;
}

export interface CountingFigures {
  records: number;
  recordsPerSec: number;
  cpuMicrosPerRecord: number;
  peakRssMb: number;
}

export interface PipelineReport {
  date: Date;
  command: string;
  machine: MachineInfo;
  partitions: number;
  streamThreads: number;
  accounts: number;
  accountsWithBalances: number;
  produceRate: number;
  saturation: SaturationFigures;
  /** Undefined when the run skipped it (--no-balances-only). */
  balancesOnly: BalancesOnlyFigures | undefined;
  latency: LatencyFigures;
  alertLatency: AlertLatencyFigures;
  /** Event time the pre-produced input spans (velocity state of that many days). */
  inputSpanDays: number;
  /** The saldo process's peak RSS (VmHWM) over both phases. */
  peakRssMb: number;
  /** What that RSS was made of, sampled every second; undefined where /proc has no such lines. */
  memorySplit?: MemorySplit | undefined;
  counting: CountingFigures | undefined;
  /** Messages of the instance's log lines at warn or above. */
  troubles: string[];
  compiled: boolean;
  nodeOptions: string[];
  /** The saldo process's memory allocator (allocator.ts); runs before it had glibc, MALLOC_ARENA_MAX=2. */
  allocator?: string;
}

export interface PipelineCheck {
  what: string;
  measured: string;
  target: string;
  ok: boolean;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : 'n/a');
const pct = (n: number | undefined) => (n === undefined ? 'n/a' : `${(n * 100).toFixed(0)}%`);
const cores = (n: number | undefined) => (n === undefined ? 'n/a' : n.toFixed(2));
const round1 = (n: number | undefined) =>
  n === undefined || !Number.isFinite(n) ? null : Math.round(n * 10) / 10;

export function pipelineTargetChecks(r: PipelineReport): PipelineCheck[] {
  return [
    {
      what: 'transactions/s at saturation, exactly-once',
      measured: int(r.saturation.transactionsPerSec),
      target: `≥ ${int(PIPELINE_TARGETS.transactionsPerSec)}`,
      ok: r.saturation.transactionsPerSec >= PIPELINE_TARGETS.transactionsPerSec,
    },
    {
      what: `end-to-end p99 at ${int(r.latency.rate)}/s (topic and Redis)`,
      measured: `${ms(r.latency.p99Ms)} ms`,
      target: `≤ ${PIPELINE_TARGETS.e2eP99Ms} ms`,
      ok: r.latency.p99Ms <= PIPELINE_TARGETS.e2eP99Ms,
    },
    {
      what: `alert p99 at ${int(r.latency.rate)}/s (read_committed)`,
      measured: `${ms(r.alertLatency.p99Ms)} ms`,
      target: `≤ ${PIPELINE_TARGETS.alertP99Ms} ms`,
      ok: r.alertLatency.measured > 0 && r.alertLatency.p99Ms <= PIPELINE_TARGETS.alertP99Ms,
    },
    {
      what: `peak RSS with ${int(r.accounts)} accounts, ${r.inputSpanDays.toFixed(0)} days of velocity state`,
      measured: `${int(r.peakRssMb)} MB`,
      target: `≤ ${PIPELINE_TARGETS.peakRssMb} MB`,
      ok: r.peakRssMb <= PIPELINE_TARGETS.peakRssMb,
    },
  ];
}

/** The JSON line other tools read. */
export function pipelineJson(r: PipelineReport): Record<string, number | null> {
  return {
    transactionsPerSec: Math.round(r.saturation.transactionsPerSec),
    cpuMicrosPerTransaction: round1(r.saturation.cpuMicrosPerTransaction),
    e2eP50Ms: round1(r.latency.p50Ms),
    e2eP99Ms: round1(r.latency.p99Ms),
    alertP50Ms: round1(r.alertLatency.p50Ms),
    alertP99Ms: round1(r.alertLatency.p99Ms),
    alerts: r.alertLatency.alerts,
    balancesOnlyTransactionsPerSec:
      r.balancesOnly === undefined ? null : Math.round(r.balancesOnly.transactionsPerSec),
    balancesOnlyCpuMicrosPerTransaction: round1(r.balancesOnly?.cpuMicrosPerTransaction),
    peakRssMb: round1(r.peakRssMb),
    peakAnonRssMb: round1(r.memorySplit?.peakAnonMb),
    peakFileRssMb: round1(r.memorySplit?.peakFileMb),
    accounts: r.accounts,
    countingRecordsPerSec: r.counting === undefined ? null : Math.round(r.counting.recordsPerSec),
    countingCpuMicrosPerRecord: round1(r.counting?.cpuMicrosPerRecord),
    saturationSteal: round1(
      r.saturation.machineSteal === undefined ? undefined : r.saturation.machineSteal * 100,
    ),
  };
}

export function formatPipelineReport(r: PipelineReport): string {
  const m = r.machine;
  const lines = [
    `## ${r.date.toISOString().replace(/\.\d+Z$/, 'Z')} — product pipeline: ${int(r.saturation.transactions)} transactions, ${int(r.accounts)} accounts, ${r.partitions} partitions`,
    '',
    `- command: \`${r.command}\``,
    `- machine: ${m.nproc} CPUs (nproc), ${m.memoryGiB.toFixed(1)} GiB, ${m.cpuModel}; Node ${m.node}; Kafka ${m.kafka} (one KRaft broker on the same machine), Apicurio registry and Redis beside it; load at start ${formatLoad(m.loadAverage)}`,
    `- saldo: \`saldo run\` (product topology, exactly-once, ${r.streamThreads} stream threads, ${r.compiled ? 'compiled' : 'from the sources'}, Node options \`${r.nodeOptions.join(' ') || '(none)'}\`, ${r.allocator ?? 'glibc malloc, MALLOC_ARENA_MAX=2'}), Redis serving cache on; source ${m.source}`,
    `- input: the generator (Avro through the registry, realistic event time over ${r.inputSpanDays.toFixed(0)} days, 1% fraud incidents), pre-produced at ${int(r.produceRate)}/s; ${int(r.accountsWithBalances)} accounts with balances`,
    '',
    '| target | measured | target | |',
    '| --- | ---: | ---: | --- |',
    ...pipelineTargetChecks(r).map(
      (c) => `| ${c.what} | **${c.measured}** | ${c.target} | ${c.ok ? 'PASS' : 'MISS'} |`,
    ),
    '',
    '| phase | figures |',
    '| --- | --- |',
    `| saturation, whole product | ${int(r.saturation.transactionsPerSec)} transactions/s over ${(r.saturation.windowMs / 1000).toFixed(1)} s, ${r.saturation.cpuMicrosPerTransaction.toFixed(1)} µs CPU per transaction, CPU steal ${pct(r.saturation.machineSteal)} |`,
    r.balancesOnly === undefined
      ? '| saturation, balances alone | not run |'
      : `| saturation, balances alone (\`--no-fraud\`, same input) | ${int(r.balancesOnly.transactionsPerSec)} transactions/s, ${r.balancesOnly.cpuMicrosPerTransaction.toFixed(1)} µs CPU per transaction: velocity, limits and rules add ${(r.saturation.cpuMicrosPerTransaction - r.balancesOnly.cpuMicrosPerTransaction).toFixed(1)} µs |`,
    `| latency at ${int(r.latency.rate)}/s for ${r.latency.seconds} s | produce → topic and Redis: p50 ${ms(r.latency.p50Ms)} ms, p99 ${ms(r.latency.p99Ms)} ms, max ${ms(r.latency.maxMs)} ms; topic alone p50 ${ms(r.latency.topicP50Ms)} / p99 ${ms(r.latency.topicP99Ms)} ms; Redis alone p50 ${ms(r.latency.redisP50Ms)} / p99 ${ms(r.latency.redisP99Ms)} ms; ${int(r.latency.measured)} of ${int(r.latency.sent)} transactions measured (accounts: ${r.latency.sampledAccounts ?? 'all'}); cores used: saldo ${cores(r.latency.saldoCores)}, the bench's producer and watchers ${cores(r.latency.harnessCores)}${r.latency.brokerCores === undefined ? '' : `, the broker ${cores(r.latency.brokerCores)}`}; CPU steal ${pct(r.latency.machineSteal)} |`,
    ...latencyShapeRow(r.latency),
    `| alerts at ${int(r.latency.rate)}/s | produce → alert visible to a read_committed reader: p50 ${ms(r.alertLatency.p50Ms)} ms, p99 ${ms(r.alertLatency.p99Ms)} ms, max ${ms(r.alertLatency.maxMs)} ms; ${int(r.alertLatency.measured)} of ${int(r.alertLatency.alerts)} alerts measured |`,
    `| memory | peak RSS ${int(r.peakRssMb)} MB (VmHWM of the saldo process over both phases)${formatSplit(r.memorySplit)} |`,
    r.counting === undefined
      ? '| counting topology | not run |'
      : `| counting topology (bench/engine.ts, EOS, same hour) | ${int(r.counting.recordsPerSec)} records/s, ${r.counting.cpuMicrosPerRecord.toFixed(1)} µs CPU per record: the product costs ${(r.saturation.cpuMicrosPerTransaction / r.counting.cpuMicrosPerRecord).toFixed(1)}× the engine's per record |`,
    `| log | ${r.troubles.length} ${r.troubles.length === 1 ? 'line' : 'lines'} at warn or above${r.troubles.length === 0 ? '' : `: ${[...new Set(r.troubles)].slice(0, 3).join('; ')}`} |`,
  ];
  return lines.join('\n');
}

function formatSplit(split: MemorySplit | undefined): string {
  if (split === undefined) return '';
  return `; sampled every second, at most ${int(split.peakAnonMb)} MB anonymous (V8 heaps, LevelDB memtables and caches, buffers) and ${int(split.peakFileMb)} MB file-backed (LevelDB's memory-mapped table files, page cache the kernel can reclaim, and node's binary)`;
}

export async function appendPipelineReport(file: string, r: PipelineReport): Promise<void> {
  await appendFile(file, `\n${formatPipelineReport(r)}\n`);
}

/**
 * How the latency phase went second by second, and saldo's commits meanwhile: one stall and a
 * stretch of slow seconds give the same p99 and call for different remedies.
 */
export function latencyShape(l: LatencyFigures): string | undefined {
  if (l.slowSeconds === undefined) return undefined;
  const commits =
    l.commitsPerSecond === undefined || Number.isNaN(l.commitsPerSecond)
      ? 'saldo commits not read'
      : `saldo committed ${l.commitsPerSecond.toFixed(1)} task transactions/s, ${ms(l.meanCommitMs ?? Number.NaN)} ms each on average`;
  return `${int(l.slowSeconds)} of ${int(l.seconds)} seconds with a transaction over ${int(PIPELINE_TARGETS.e2eP99Ms)} ms, the longest run of them ${int(l.longestSlowStretch ?? 0)} s; worst second's median ${ms(l.worstSecondP50Ms ?? Number.NaN)} ms; ${commits}`;
}

function latencyShapeRow(l: LatencyFigures): string[] {
  const shape = latencyShape(l);
  return shape === undefined ? [] : [`| latency, second by second | ${shape} |`];
}
