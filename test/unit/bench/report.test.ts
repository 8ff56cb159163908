import { describe, expect, it } from 'vitest';
import {
  formatResults,
  starvedPhases,
  type BenchReport,
  type ThroughputFigures,
} from '../../../bench/report.ts';
import { noLogTrouble } from '../../../bench/phase.ts';

function throughput(
  guarantee: ThroughputFigures['guarantee'],
  recordsPerSec: number,
  machineSteal: number | undefined,
): ThroughputFigures {
  return {
    guarantee,
    records: 1_000_000,
    recordsPerSec,
    windowMs: 1e9 / recordsPerSec,
    withStartupPerSec: recordsPerSec * 0.95,
    startupMs: 800,
    commitP50Ms: 150,
    commitP99Ms: 300,
    commitMaxMs: 400,
    histogramP50Ms: 150,
    histogramP99Ms: 300,
    commits: 300,
    commitFailures: 0,
    recordsProcessed: 1_000_000,
    deadLetters: 0,
    peakRssMb: 340,
    heapPeakMb: 100,
    externalPeakMb: 25,
    cpuSeconds: 35,
    processingCpuSeconds: 34,
    eventLoopUtilization: 0.93,
    machineBusy: 0.94,
    machineSteal,
    loadAtStart: [2, 2, 2],
    trouble: noLogTrouble(),
  };
}

function report(eosSteal: number | undefined, alosSteal: number | undefined): BenchReport {
  return {
    date: new Date('2026-11-24T10:00:00Z'),
    command: 'npm run bench:engine -- --json',
    machine: {
      nproc: 2,
      memoryGiB: 23.5,
      cpuModel: 'test CPU',
      node: 'v24.0.0',
      kafka: '4.1.2',
      loadAverage: [2, 2, 2],
      source: 'abc1234',
    },
    brokers: '127.0.0.1:9092',
    brokerSource: 'KAFKA_BROKERS',
    records: 1_000_000,
    partitions: 8,
    accounts: 100_000,
    commitIntervalMs: 100,
    produce: undefined,
    eos: throughput('exactly-once', 46_000, eosSteal),
    alos: throughput('at-least-once', 27_000, alosSteal),
    restore: undefined,
    core: undefined,
    profiles: [],
    failures: [],
    workDir: '/tmp/bench',
    profiled: false,
    nodeOptions: [],
    clientThread: 'main',
    streamThreads: 2,
    engineFrom: 'build',
    mallocArenaMax: 2,
  };
}

describe('bench report: CPU steal', () => {
  it('names the phases with at least 10% steal, and only those', () => {
    expect(starvedPhases(report(0.02, 0.23))).toEqual([{ phase: 'at-least-once', steal: 0.23 }]);
    expect(starvedPhases(report(0.1, undefined))).toEqual([{ phase: 'exactly-once', steal: 0.1 }]);
    expect(starvedPhases(report(0.099, 0.05))).toEqual([]);
  });

  it('says so under the targets when a phase was starved, and keeps the verdicts', () => {
    const starved = formatResults(report(0.02, 0.23));
    expect(starved).toContain('**The VM was starved:**');
    expect(starved).toContain('at-least-once 23%');
    expect(starved).not.toContain('exactly-once 2%');
    expect(starved).toMatch(/\| at-least-once records\/s \| 27,000 \| ≥ 50,000 \| MISS \|/);

    expect(formatResults(report(0.02, 0.03))).not.toContain('The VM was starved');
  });
});
