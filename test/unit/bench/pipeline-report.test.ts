import { describe, expect, it } from 'vitest';
import {
  formatPipelineReport,
  pipelineJson,
  pipelineTargetChecks,
  type PipelineReport,
} from '../../../bench/pipeline/report.ts';
import { isSampled } from '../../../bench/pipeline/visibility.ts';
import { accountIdOf } from '../../../cli/generate/accounts.ts';

const report = (overrides: Partial<PipelineReport> = {}): PipelineReport => ({
  date: new Date('2026-12-04T17:00:00Z'),
  command: 'npm run bench:pipeline',
  machine: {
    nproc: 2,
    memoryGiB: 23.5,
    cpuModel: 'test CPU',
    node: 'v24.21.0',
    kafka: '4.1.2',
    loadAverage: [1, 1, 1],
    source: 'abc1234 (test)',
  },
  partitions: 8,
  streamThreads: 2,
  accounts: 1_000_000,
  accountsWithBalances: 776_445,
  produceRate: 60_000,
  saturation: {
    transactions: 2_000_000,
    windowMs: 94_000,
    transactionsPerSec: 21_266.4,
    cpuMicrosPerTransaction: 76.24,
    machineSteal: 0.001,
  },
  latency: {
    rate: 5_000,
    seconds: 60,
    sent: 297_133,
    measured: 294_560,
    p50Ms: 114.73,
    p99Ms: 272.08,
    maxMs: 948,
    topicP50Ms: 111,
    topicP99Ms: 271,
    redisP50Ms: 111,
    redisP99Ms: 254,
    machineSteal: 0,
  },
  balancesOnly: { transactionsPerSec: 21_900.2, cpuMicrosPerTransaction: 74.04 },
  alertLatency: { alerts: 2_120, measured: 2_001, p50Ms: 180.2, p99Ms: 640.55, maxMs: 900 },
  inputSpanDays: 30,
  peakRssMb: 496.3,
  counting: { records: 1_000_000, recordsPerSec: 85_622, cpuMicrosPerRecord: 19.4, peakRssMb: 340 },
  troubles: [],
  compiled: true,
  nodeOptions: ['--max-old-space-size=256'],
  ...overrides,
});

describe('the product benchmark report', () => {
  it('gives other tools one JSON object with the figures they read', () => {
    expect(pipelineJson(report())).toMatchObject({
      transactionsPerSec: 21_266,
      cpuMicrosPerTransaction: 76.2,
      e2eP50Ms: 114.7,
      e2eP99Ms: 272.1,
      alertP99Ms: 640.6,
      alerts: 2_120,
      balancesOnlyTransactionsPerSec: 21_900,
      balancesOnlyCpuMicrosPerTransaction: 74,
      peakRssMb: 496.3,
      accounts: 1_000_000,
      countingRecordsPerSec: 85_622,
    });
    expect(pipelineJson(report({ counting: undefined })).countingRecordsPerSec).toBeNull();
    expect(pipelineJson(report({ balancesOnly: undefined })).balancesOnlyCpuMicrosPerTransaction).toBeNull();
  });

  it('checks the four targets and says MISS for each one missed', () => {
    expect(pipelineTargetChecks(report()).map((check) => check.ok)).toEqual([true, true, true, true]);
    const missed = report({
      saturation: { ...report().saturation, transactionsPerSec: 19_999 },
      latency: { ...report().latency, p99Ms: 501 },
      alertLatency: { ...report().alertLatency, p99Ms: 1_000.5 },
      peakRssMb: 500.5,
    });
    expect(pipelineTargetChecks(missed).map((check) => check.ok)).toEqual([false, false, false, false]);
    // No alert measured is no evidence of the target met.
    const none = report({ alertLatency: { alerts: 0, measured: 0, p50Ms: NaN, p99Ms: NaN, maxMs: NaN } });
    expect(pipelineTargetChecks(none)[2]?.ok).toBe(false);
    expect(formatPipelineReport(report())).toContain('velocity, limits and rules add 2.2 µs');
    expect(formatPipelineReport(missed)).toContain('| **19,999** | ≥ 20,000 | MISS |');
  });

  it('says whose snapshots were timed and the cores saldo and the bench itself used meanwhile', () => {
    const sampled = report({
      latency: {
        ...report().latency,
        sampledAccounts: 'ids ending in 0',
        saldoCores: 0.987,
        harnessCores: 0.4,
      },
    });
    expect(formatPipelineReport(sampled)).toContain(
      "294,560 of 297,133 transactions measured (accounts: ids ending in 0); cores used: saldo 0.99, the bench's producer and watchers 0.40;",
    );
    expect(formatPipelineReport(report())).toContain('(accounts: all); cores used: saldo n/a');
    expect(formatPipelineReport(report({ latency: { ...sampled.latency, brokerCores: 0.61 } }))).toContain(
      "the bench's producer and watchers 0.40, the broker 0.61; CPU steal",
    );
  });

  it('says how the latency phase went second by second and how saldo committed meanwhile', () => {
    const shaped = report({
      latency: {
        ...report().latency,
        seconds: 60,
        slowSeconds: 26,
        longestSlowStretch: 22,
        worstSecondP50Ms: 555.4,
        commitsPerSecond: 18.25,
        meanCommitMs: 61.6,
      },
    });
    expect(formatPipelineReport(shaped)).toContain(
      "| latency, second by second | 26 of 60 seconds with a transaction over 500 ms, the longest run of them 22 s; worst second's median 555 ms; saldo committed 18.3 task transactions/s, 62 ms each on average |",
    );
    expect(
      formatPipelineReport(report({ latency: { ...shaped.latency, commitsPerSecond: undefined } })),
    ).toContain('saldo commits not read |');
    // A report of a run that did not time seconds (older runs) has no such row.
    expect(formatPipelineReport(report())).not.toContain('second by second');
  });

  it('says what the peak RSS was made of when it was sampled, and gives both parts in the JSON line', () => {
    const split = report({ memorySplit: { peakAnonMb: 341.6, peakFileMb: 188.2 } });
    expect(formatPipelineReport(split)).toContain(
      'peak RSS 496 MB (VmHWM of the saldo process over both phases); sampled every second, at most 342 MB anonymous',
    );
    expect(formatPipelineReport(split)).toContain(
      "and 188 MB file-backed (LevelDB's memory-mapped table files",
    );
    expect(pipelineJson(split)).toMatchObject({
      peakRssMb: 496.3,
      peakAnonRssMb: 341.6,
      peakFileRssMb: 188.2,
    });
    expect(formatPipelineReport(report())).toContain(
      'peak RSS 496 MB (VmHWM of the saldo process over both phases) |',
    );
    expect(pipelineJson(report()).peakAnonRssMb).toBeNull();
  });

  it('names the distinct warnings of the instance’s log', () => {
    const text = formatPipelineReport(report({ troubles: ['a', 'b', 'a'] }));
    expect(text).toContain('| log | 3 lines at warn or above: a; b |');
    expect(formatPipelineReport(report({ troubles: ['a'] }))).toContain(
      '| log | 1 line at warn or above: a |',
    );
  });
});

describe('the latency phase’s sample of accounts', () => {
  it('takes the ids ending in its suffix, and every id when the suffix is empty', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => accountIdOf(i));
    expect(ids.filter((id) => isSampled(id, { suffix: '0' }))).toHaveLength(100);
    expect(isSampled('acct-000010', { suffix: '0' })).toBe(true);
    expect(isSampled('acct-000011', { suffix: '0' })).toBe(false);
    expect(ids.filter((id) => isSampled(id, { suffix: '' }))).toHaveLength(1_000);
  });
});
