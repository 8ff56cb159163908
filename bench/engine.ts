/**
 * The engine benchmark (`npm run bench:engine`): the counting topology over 1M records on 8
 * partitions on the local broker, exactly-once and at-least-once, plus a restore of a 1M-key
 * changelog. Reports records/s, commit latency p50/p99, restore rate and peak RSS against the
 * targets, appends a dated section to BENCHMARKS.md, and with --json prints one JSON object last.
 *
 *   npm run bench:engine [-- --records 100000] [--json] [--profile] [--verify] [--no-append]
 *
 * The input is produced to fresh topics before anything is timed; the engine runs in its own
 * process (bench/engine-runner.ts), one phase at a time. See the preamble of BENCHMARKS.md for
 * exactly what each figure measures.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import {
  RECOMMENDED_MALLOC_ARENA_MAX,
  RECOMMENDED_NODE_OPTIONS,
  recommendedStreamThreads,
} from '../cli/node-options.ts';
import { changelogTopicFor, deadLetterTopicFor } from '../processor/internal-topics.ts';
import { positiveInt } from './args.ts';
import { formatSummary, summarizeProfile } from './cpuprofile.ts';
import type { CoreResult } from './engine-core.ts';
import { benchKafka, cleanUp, createTopics, resolveBrokers } from './kafka.ts';
import { engineSource, machineInfo } from './machine.ts';
import { processingRate, restoreRate, runPhase, type PhaseOutcome } from './phase.ts';
import type { Guarantee, RunnerSpec } from './protocol.ts';
import {
  appendToBenchmarks,
  formatHeader,
  formatResults,
  jsonSummary,
  pct,
  targetChecks,
  type BenchReport,
  type ThroughputFigures,
} from './report.ts';
import { histogramQuantile, percentile } from './stats.ts';
import { verifyOutputs } from './verify.ts';
import { distinctKeyTransactions, produceAll, produceOnePerPartition, transactions } from './workload.ts';

const execFileAsync = promisify(execFile);
const BENCHMARKS_FILE = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const PHASES = ['core', 'eos', 'alos', 'restore'] as const;
type Phase = (typeof PHASES)[number];

const HELP = `usage: npm run bench:engine -- [options]

  --records N            input records (default 1000000); also the restore changelog's keys
  --partitions N         partitions of every topic (default 8)
  --accounts N           distinct accounts in the throughput input (default records/10)
  --restore-keys N       keys of the restore changelog (default: --records)
  --commit-interval-ms N the engine's commit interval (default 100)
  --phases LIST          comma-separated subset of core,eos,alos,restore (default all); core is the
                         engine without Kafka (one task, in-memory commit unit): its CPU µs/record
  --core-records N       records of the core phase (default min(records, 200000))
  --profile              run the engine under node --cpu-prof and summarise where the time goes
  --verify               read the outputs back (read_committed) and check them against the reference
  --json                 print one JSON object as the last line
  --no-append            do not append the results to BENCHMARKS.md
  --keep                 keep topics, groups and local state afterwards
  --engine-log-level L   the engine's log level: error, warn (default), info, debug
  --client-thread T      where the engine runs kafkajs: main (default) or worker
  --from-sources         run the engine from its .ts sources through Node's type stripping (about
                         17 MB per thread, and more code) instead of compiled to JavaScript as a
                         deployment runs dist/ (the default, also --from-build: tsc -p
                         tsconfig.bench.json, into .bench-build/)
  --malloc-arena-max N   MALLOC_ARENA_MAX of the engine process (default ${RECOMMENDED_MALLOC_ARENA_MAX}, as
                         cli/node-options.ts recommends; 0 leaves glibc's default)
  --stream-threads N     stream threads of the engine in the exactly-once and at-least-once phases
                         (config streamThreads); default: as docs/operations.md recommends, one per
                         core of this machine, at most one per partition; the restore phase runs one
  --node-options="..."   Node/V8 options of the engine process (default: the recommended
                         "${RECOMMENDED_NODE_OPTIONS.join(' ')}", cli/node-options.ts; "" for none)
`;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function log(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

/** Compiles the engine runner and everything it loads (threads included) into .bench-build/. */
async function buildRunner(): Promise<string> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  log('compiling the engine (tsc -p tsconfig.bench.json)');
  await execFileAsync(process.execPath, [tsc, '-p', join(root, 'tsconfig.bench.json')], { cwd: root });
  return join(root, '.bench-build', 'bench', 'engine-runner.js');
}

function commandLine(argv: string[]): string {
  const args = argv.map((a) => (/^[\w.,=/:-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
  const viaNpm =
    process.env.npm_lifecycle_event === 'bench:engine' || process.env.npm_lifecycle_event === 'bench';
  return viaNpm
    ? `npm run bench:engine${args ? ` -- ${args}` : ''}`
    : `node bench/engine.ts${args ? ` ${args}` : ''}`;
}

/** The core phase in its own process, so that it does not share a heap or a profile with anything. */
async function runCoreChild(
  records: number,
  accounts: number,
  commitIntervalMs: number,
): Promise<CoreResult> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      fileURLToPath(new URL('./engine-core.ts', import.meta.url)),
      '--records',
      String(records),
      '--accounts',
      String(accounts),
      '--commit-interval-ms',
      String(commitIntervalMs),
      '--json',
    ],
    { maxBuffer: 1024 * 1024 },
  );
  const last = stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last) as CoreResult;
}

function throughputFigures(guarantee: Guarantee, p: PhaseOutcome, verified?: string[]): ThroughputFigures {
  const rate = processingRate(p);
  const r = p.result;
  return {
    guarantee,
    records: p.inputRecords,
    recordsPerSec: rate.perSec,
    windowMs: rate.windowMs,
    withStartupPerSec: rate.withStartupPerSec,
    startupMs: rate.startupMs,
    commitP50Ms: percentile(r.commitLatencyMs, 0.5),
    commitP99Ms: percentile(r.commitLatencyMs, 0.99),
    commitMaxMs: percentile(r.commitLatencyMs, 1),
    histogramP50Ms: histogramQuantile(r.commitHistogram, 0.5) * 1000,
    histogramP99Ms: histogramQuantile(r.commitHistogram, 0.99) * 1000,
    commits: r.commits,
    commitFailures: r.commitFailures,
    recordsProcessed: r.recordsProcessed,
    deadLetters: r.deadLetters,
    peakRssMb: r.maxRssKb / 1024,
    heapPeakMb: r.memoryPeaks.heapTotal / 1024 ** 2,
    externalPeakMb: r.memoryPeaks.external / 1024 ** 2, // includes arrayBuffers (Buffers)
    cpuSeconds: (r.cpuUserMs + r.cpuSystemMs) / 1000,
    processingCpuSeconds: r.processingCpuMs / 1000,
    eventLoopUtilization: r.processingEventLoopUtilization,
    machineBusy: p.machineBusy,
    machineSteal: p.machineSteal,
    loadAtStart: p.loadAtStart,
    verified,
    trouble: p.trouble,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string' },
      partitions: { type: 'string' },
      accounts: { type: 'string' },
      'restore-keys': { type: 'string' },
      'commit-interval-ms': { type: 'string' },
      phases: { type: 'string' },
      'core-records': { type: 'string' },
      profile: { type: 'boolean', default: false },
      verify: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      'no-append': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'engine-log-level': { type: 'string', default: 'warn' },
      'node-options': { type: 'string' },
      'client-thread': { type: 'string', default: 'main' },
      'stream-threads': { type: 'string' },
      'from-build': { type: 'boolean', default: false },
      'from-sources': { type: 'boolean', default: false },
      'malloc-arena-max': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const records = positiveInt('records', values.records, 1_000_000);
  const partitions = positiveInt('partitions', values.partitions, 8);
  const accounts = positiveInt('accounts', values.accounts, Math.max(1, Math.floor(records / 10)));
  const restoreKeys = positiveInt('restore-keys', values['restore-keys'], records);
  const commitIntervalMs = positiveInt('commit-interval-ms', values['commit-interval-ms'], 100);
  const coreRecords = positiveInt('core-records', values['core-records'], Math.min(records, 200_000));
  const engineLogLevel = values['engine-log-level'];
  const streamThreads = positiveInt(
    'stream-threads',
    values['stream-threads'],
    recommendedStreamThreads(availableParallelism(), partitions),
  );
  if (values['from-build'] && values['from-sources']) {
    console.error('--from-build and --from-sources exclude each other');
    process.exit(2);
  }
  const clientThread = values['client-thread'];
  if (clientThread !== 'worker' && clientThread !== 'main') {
    console.error(`--client-thread must be worker or main, not ${clientThread}`);
    process.exit(2);
  }
  if (!['error', 'warn', 'info', 'debug'].includes(engineLogLevel))
    throw new Error(`--engine-log-level: unknown level '${engineLogLevel}'`);
  const phases = new Set<Phase>(
    (values.phases ?? PHASES.join(','))
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => {
        if (!(PHASES as readonly string[]).includes(p))
          throw new Error(`--phases: unknown phase '${p}' (known: ${PHASES.join(', ')})`);
        return p as Phase;
      }),
  );

  const machine = machineInfo();
  const date = new Date();
  const { brokers, source } = await resolveBrokers(process.env, log);
  log(
    `broker ${brokers.join(',')} (${source}); ${machine.nproc} CPUs, load average ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
  );

  const kafka = benchKafka(brokers);
  const admin: Admin = kafka.admin();
  await admin.connect();
  const workDir = await mkdtemp(join(tmpdir(), 'saldo-bench-'));
  const stateDir = join(workDir, 'state');
  const stamp = `bench-${Date.now().toString(36)}`;
  const names = {
    input: `${stamp}-in`,
    seedInput: `${stamp}-keys-in`,
    eos: { appId: `${stamp}-eos`, output: `${stamp}-eos-out` },
    alos: { appId: `${stamp}-alos`, output: `${stamp}-alos-out` },
    seed: { appId: `${stamp}-restore`, output: `${stamp}-restore-out` },
  };
  const apps = [names.eos, names.alos, names.seed];
  const allTopics = [
    names.input,
    names.seedInput,
    ...apps.flatMap((a) => [a.output, changelogTopicFor(a.appId, 'totals'), deadLetterTopicFor(a.appId)]),
  ];
  const spec = (app: { appId: string; output: string }, input: string, guarantee: Guarantee): RunnerSpec => ({
    appId: app.appId,
    brokers,
    stateDir,
    input,
    output: app.output,
    guarantee,
    commitIntervalMs,
    logLevel: engineLogLevel as RunnerSpec['logLevel'],
    kafkaClientThread: clientThread,
  });
  const timeoutMs = (n: number) => 120_000 + Math.ceil(n / 2_000) * 1_000;
  const nodeOptions =
    values['node-options'] === undefined
      ? [...RECOMMENDED_NODE_OPTIONS]
      : values['node-options'].split(/\s+/).filter((o) => o !== '');
  const runner = values['from-sources'] ? undefined : await buildRunner();
  const arenas =
    values['malloc-arena-max'] === '0'
      ? 0
      : positiveInt('malloc-arena-max', values['malloc-arena-max'], RECOMMENDED_MALLOC_ARENA_MAX);
  const mallocArenaMax = arenas === 0 ? undefined : arenas;
  const phaseCommon = {
    admin,
    partitions,
    workDir,
    profile: values.profile,
    nodeOptions,
    log,
    runner,
    mallocArenaMax,
  };

  const report: BenchReport = {
    date,
    command: commandLine(argv),
    machine,
    brokers: brokers.join(','),
    brokerSource: source,
    records,
    partitions,
    accounts,
    commitIntervalMs,
    produce: undefined,
    eos: undefined,
    alos: undefined,
    restore: undefined,
    core: undefined,
    profiles: [],
    failures: [],
    workDir,
    profiled: values.profile,
    nodeOptions,
    clientThread,
    streamThreads,
    engineFrom: runner === undefined ? 'source' : 'build',
    mallocArenaMax,
  };
  const profileFiles: Array<{ title: string; file: string }> = [];

  try {
    const throughput = phases.has('eos') || phases.has('alos');
    await createTopics(
      admin,
      [
        ...(throughput ? [names.input] : []),
        ...(phases.has('restore') ? [names.seedInput] : []),
        names.eos.output,
        names.alos.output,
        names.seed.output,
      ],
      partitions,
    );
    if (throughput) {
      log(
        `producing ${records.toLocaleString('en-US')} records (${accounts.toLocaleString('en-US')} accounts) to ${names.input}`,
      );
      const produced = await produceAll(kafka, names.input, transactions(records, accounts, 1));
      report.produce = { records: produced.records, perSec: produced.records / (produced.elapsedMs / 1000) };
      log(
        `produced in ${(produced.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.produce.perSec).toLocaleString('en-US')} records/s)`,
      );
    }
    if (phases.has('restore')) {
      log(
        `producing ${restoreKeys.toLocaleString('en-US')} records with distinct accounts to ${names.seedInput}`,
      );
      const produced = await produceAll(kafka, names.seedInput, distinctKeyTransactions(restoreKeys));
      log(`produced in ${(produced.elapsedMs / 1000).toFixed(1)} s`);
    }

    if (phases.has('core')) {
      log(`core: the engine without Kafka, ${coreRecords.toLocaleString('en-US')} records`);
      try {
        report.core = await runCoreChild(
          coreRecords,
          Math.max(1, Math.floor(coreRecords / 10)),
          commitIntervalMs,
        );
      } catch (error) {
        report.failures.push(`core: ${describe(error)}`);
      }
      if (report.core)
        log(
          `core: ${report.core.cpuUsPerRecord.toFixed(1)} µs CPU/record (${Math.round(report.core.recordsPerSec).toLocaleString('en-US')} records/s)`,
        );
    }

    for (const [phase, guarantee] of [
      ['eos', 'exactly-once'],
      ['alos', 'at-least-once'],
    ] as const) {
      if (!phases.has(phase)) continue;
      const app = names[phase];
      log(`${phase}: running the counting topology, ${guarantee}`);
      let outcome: PhaseOutcome;
      try {
        outcome = await runPhase({
          ...phaseCommon,
          name: phase,
          spec: { ...spec(app, names.input, guarantee), streamThreads },
          until: 'committed',
          timeoutMs: timeoutMs(records),
        });
      } catch (error) {
        report.failures.push(`${phase}: ${describe(error)}`);
        log(`${phase}: FAILED: ${describe(error)}`);
        continue;
      }
      if (outcome.profileFile)
        profileFiles.push({ title: `${guarantee} processing`, file: outcome.profileFile });
      let verified: string[] | undefined;
      if (values.verify) {
        log(`${phase}: verifying the outputs`);
        verified = await verifyOutputs(kafka, app.output, transactions(records, accounts, 1));
        log(
          `${phase}: ${verified.length === 0 ? 'outputs verified' : `verification problems: ${verified.join('; ')}`}`,
        );
      }
      const figures = throughputFigures(guarantee, outcome, verified);
      report[phase] = figures;
      log(
        `${phase}: ${Math.round(figures.recordsPerSec).toLocaleString('en-US')} records/s, commit p99 ${figures.commitP99Ms.toFixed(1)} ms, peak RSS ${Math.round(figures.peakRssMb)} MB, CPU steal ${pct(figures.machineSteal)}`,
      );
    }

    if (phases.has('restore')) await restorePhase();

    async function restorePhase(): Promise<void> {
      log(`restore: writing a ${restoreKeys.toLocaleString('en-US')}-key changelog with an exactly-once run`);
      const seedSpec = spec(names.seed, names.seedInput, 'exactly-once');
      let seed: PhaseOutcome;
      try {
        seed = await runPhase({
          ...phaseCommon,
          name: 'restore-seed',
          spec: seedSpec,
          until: 'committed',
          timeoutMs: timeoutMs(restoreKeys),
          profile: false,
        });
      } catch (error) {
        report.failures.push(`restore (seeding the changelog): ${describe(error)}`);
        log(`restore: FAILED to seed the changelog: ${describe(error)}`);
        return;
      }
      const seedFigures = throughputFigures('exactly-once', seed);
      log(
        `restore: seeded at ${Math.round(seedFigures.recordsPerSec).toLocaleString('en-US')} records/s; deleting local state`,
      );
      await rm(join(stateDir, names.seed.appId), { recursive: true, force: true });
      // One new record per partition, so that every task starts even on an engine that creates tasks
      // on their first batch (this one creates them on assignment; the records are harmless).
      await produceOnePerPartition(kafka, names.seedInput, partitions);
      let restore: PhaseOutcome;
      try {
        restore = await runPhase({
          ...phaseCommon,
          name: 'restore',
          spec: seedSpec,
          until: 'restored',
          timeoutMs: timeoutMs(restoreKeys),
        });
      } catch (error) {
        report.failures.push(`restore: ${describe(error)}`);
        log(`restore: FAILED: ${describe(error)}`);
        return;
      }
      if (restore.profileFile) profileFiles.push({ title: 'restore', file: restore.profileFile });
      const rate = restoreRate(restore);
      report.restore = {
        keys: restoreKeys,
        records: rate.records,
        recordsPerSec: rate.perSec,
        windowMs: rate.windowMs,
        slowestTaskMs: rate.slowestTaskMs,
        firstRecordsAfterMs: rate.firstRecordsAfterMs,
        dataPerSec: rate.dataPerSec,
        tasks: restore.restored.length,
        applied: restore.result.restoreRecordsApplied,
        trouble: restore.trouble,
        seed: seedFigures,
        peakRssMb: restore.result.maxRssKb / 1024,
        cpuSeconds: (restore.result.cpuUserMs + restore.result.cpuSystemMs) / 1000,
        machineBusy: restore.machineBusy,
        machineSteal: restore.machineSteal,
        loadAtStart: restore.loadAtStart,
      };
      log(
        `restore: ${rate.records.toLocaleString('en-US')} records in ${Math.round(rate.windowMs)} ms (${Math.round(rate.perSec).toLocaleString('en-US')} records/s)`,
      );
    }

    for (const p of profileFiles) {
      const summary = await summarizeProfile(p.file, 25);
      report.profiles.push({
        title: p.title,
        file: p.file,
        markdown: formatSummary(summary, `\`${p.file}\``),
      });
    }
  } finally {
    if (!values.keep) {
      log('cleaning up topics, groups and local state');
      await cleanUp(admin, allTopics, `${stamp}-`).catch((error: unknown) =>
        log(`clean-up failed: ${String(error)}`),
      );
      await rm(stateDir, { recursive: true, force: true });
    }
    await admin.disconnect();
  }

  report.sourceAtEnd = engineSource();
  const header = formatHeader(report);
  const results = formatResults(report);
  console.log(`\nsaldo engine benchmark, ${report.date.toISOString()}\n\n${header}\n\n${results}`);
  for (const p of report.profiles) console.log(`Profile (${p.title}):\n\n${p.markdown}\n`);
  const missed = targetChecks(report).filter((c) => !c.ok);
  if (missed.length > 0 && !values.profile) {
    console.log(
      `Missed: ${missed.map((c) => c.what).join(', ')}. Re-run with --profile to see where the engine's time goes.`,
    );
  }
  console.log(`Engine logs${values.profile ? ' and CPU profiles' : ''}: ${workDir}`);
  if (!values['no-append']) {
    await appendToBenchmarks(BENCHMARKS_FILE, report);
    console.log(`Appended to ${BENCHMARKS_FILE}`);
  }
  if (values.json) console.log(JSON.stringify(jsonSummary(report)));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
