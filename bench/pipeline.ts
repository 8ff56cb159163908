/**
 * The product benchmark (`npm run bench:pipeline`): `saldo run` itself — the whole product topology
 * (balances, velocity, limits, rules), the same code and serdes, compiled as a deployment runs it —
 * on the local broker, exactly-once, with Redis. Input comes from the generator (Avro through the
 * registry, realistic event time over 30 days so that every account has a month of velocity
 * state), pre-produced; the same input goes through `saldo run --no-fraud` first (the balances
 * alone), then through the whole product for the saturation figures; then a steady rate for the
 * end-to-end latency of balances and of alerts; then the counting topology's figure from the same
 * machine and hour (bench/engine.ts), so the product's cost per record over the engine's shows.
 *
 *   npm run bench:pipeline [-- --transactions 2000000] [--accounts 1000000] [--json] [--no-append]
 */
import { prefixedProductTopics } from '../topologies/product.ts';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { Admin, Kafka } from 'kafkajs';
import {
  RULE_IDS,
  connectKafkaSink,
  runGenerator,
  silentProgress,
  systemRunClock,
  type TransactionSink,
} from '../cli/generate/index.ts';
import {
  RECOMMENDED_MALLOC_ARENA_MAX,
  RECOMMENDED_NODE_OPTIONS,
  recommendedStreamThreads,
} from '../cli/node-options.ts';
import { ConfluentAvroRegistry, productSerdes, registerProductSchemas } from '../schemas/index.ts';
import { platformUp } from '../scripts/platform/index.ts';
import { positiveInt } from './args.ts';
import { benchKafka, cleanUp, committedOffsets, endOffsets, lag } from './kafka.ts';
import { machineInfo } from './machine.ts';
import { processCpuSeconds, processMemoryMb, sampleMemorySplit } from './pipeline/process-stats.ts';
import {
  appendPipelineReport,
  latencyShape,
  pipelineJson,
  pipelineTargetChecks,
  type AlertLatencyFigures,
  type BalancesOnlyFigures,
  type CountingFigures,
  type LatencyFigures,
  PIPELINE_TARGETS,
  type PipelineReport,
  type SaturationFigures,
} from './pipeline/report.ts';
import { freePort } from '../scripts/free-port.ts';
import { SaldoProcess } from '../scripts/saldo-process.ts';
import { saldoAllocator, type SaldoAllocator } from './pipeline/allocator.ts';
import { commitFigures, readCommitTotals, type CommitFigures } from './pipeline/commit-figures.ts';
import { latencyCsv, latencyProfile, type TimedSample } from './pipeline/latency-profile.ts';
import { generatePacedTraffic, preEncodedSerde, sendPaced } from './pipeline/pre-encoded.ts';
import { isSampled, watchAlerts, watchVisibility, type AccountSample } from './pipeline/visibility.ts';
import { machineCpuTimes, percentile, stealShare } from './stats.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BENCHMARKS_FILE = join(ROOT, 'BENCHMARKS.md');

const HELP = `usage: npm run bench:pipeline -- [options]

  --transactions N      pre-produced transactions of the saturation phase (default 2000000)
  --accounts N          accounts they belong to (default 1000000)
  --partitions N        partitions of the topics (default 8)
  --stream-threads N    stream threads of the instance (default: one per core, at most one per partition)
  --latency-rate N      transactions/s of the latency phase (default 5000)
  --latency-seconds N   how long the latency phase produces (default 60)
  --counting-records N  records of the counting topology's run (default 1000000; 0 skips it)
  --input-days N        event time the pre-produced input spans, in days (default 30)
  --watch-every-account time every snapshot of the latency phase, not one account in ten
                        (the watchers then take CPU from saldo on the same cores)
  --no-balances-only    skip the balances-alone run (saldo run --no-fraud) on the same input
  --from-sources        run saldo from its .ts sources instead of compiled (.bench-build/)
  --node-options="..."  Node/V8 options of the saldo process (default: the recommended
                        "${RECOMMENDED_NODE_OPTIONS.join(' ')}", cli/node-options.ts)
  --allocator A         jemalloc (preloaded, as the image runs saldo) or glibc (malloc with
                        MALLOC_ARENA_MAX=${RECOMMENDED_MALLOC_ARENA_MAX}); default: jemalloc where installed
  --json                print one JSON object as the last line
  --no-append           do not append the results to BENCHMARKS.md
  --keep                keep topics, Redis keys and local state afterwards
`;

const log = (line: string) => process.stderr.write(`[bench:pipeline] ${line}\n`);
const DAY_MS = 86_400_000;
const KEEP_FOREVER = { name: 'retention.ms', value: '-1' };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const epochNow = () => performance.timeOrigin + performance.now();

/** Input records the group has committed, over all partitions. */
async function committedCount(admin: Admin, groupId: string, topic: string): Promise<number> {
  let sum = 0;
  for (const offset of (await committedOffsets(admin, groupId, topic)).values()) sum += offset;
  return sum;
}

/** Deletes the run's hashes and markers from Redis (a million accounts' worth, in batches). */
async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function buildSaldo(): Promise<string> {
  log('compiling saldo (tsc -p tsconfig.bench.json)');
  await execFileAsync(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.bench.json')],
    {
      cwd: ROOT,
    },
  );
  return join(ROOT, '.bench-build', 'cli', 'main.js');
}

/**
 * Saturation: the instance starts on the whole pre-produced input; records/s over the window from
 * its first commit to its last (start-up excluded), and its CPU over that window.
 */
async function saturate(
  saldo: SaldoProcess,
  admin: Admin,
  appId: string,
  topic: string,
  total: number,
): Promise<SaturationFigures> {
  let first: { at: number; committed: number; cpu: number } | undefined;
  let last = { at: 0, committed: 0, cpu: 0 };
  const cpuBefore = await machineCpuTimes();
  for (const deadline = Date.now() + 30 * 60_000; ; await sleep(100)) {
    if (saldo.exited) throw new Error(`saldo exited during the saturation phase; see ${saldo.logFile}`);
    const committed = await committedCount(admin, appId, topic);
    const cpu = (await processCpuSeconds(saldo.pid)) ?? last.cpu;
    const sample = { at: epochNow(), committed, cpu };
    if (first === undefined && committed > 0) first = sample;
    last = sample;
    if (committed >= total) break;
    if (Date.now() > deadline) throw new Error(`saturation: ${committed} of ${total} committed after 30 min`);
  }
  const start = first ?? last;
  const windowMs = last.at - start.at;
  const transactions = last.committed - start.committed;
  return {
    transactions: total,
    windowMs,
    transactionsPerSec: (transactions / windowMs) * 1000,
    cpuMicrosPerTransaction: ((last.cpu - start.cpu) * 1e6) / transactions,
    machineSteal: stealShare(cpuBefore, await machineCpuTimes()),
  };
}

/** Latency: a steady rate into the running instance; produce time → snapshot on the topic and in Redis. */
async function measureLatency(opts: {
  saldo: SaldoProcess;
  admin: Admin;
  kafka: Kafka;
  appId: string;
  topics: { transactions: string; balances: string; fraudAlerts: string };
  endpoints: { registryUrl: string; redisUrl: string; brokers: string[] };
  redisKeyPrefix: string;
  accounts: number;
  rate: number;
  seconds: number;
  sample: AccountSample;
  /** Where the per-transaction latencies are written (latencies.csv), for a look after --keep. */
  workDir: string;
  /** The broker's process where the platform runs it here: its cores are reported beside saldo's. */
  brokerPid: number | undefined;
}): Promise<{ latency: LatencyFigures; alerts: AlertLatencyFigures }> {
  // Generated and encoded before the watchers start, sent on the generator's schedule.
  const traffic = await generatePacedTraffic(
    {
      accounts: opts.accounts,
      durationMs: opts.seconds * 1000,
      rate: opts.rate,
      seed: 2,
      // Event time starts now (the broker refuses timestamps an hour ahead), after the
      // pre-produced input's, so nothing is late; it trails the wall clock by the few seconds
      // generating takes. Incidents among it.
      startTime: Date.now(),
      topic: opts.topics.transactions,
      batchSize: Math.max(1, Math.round(opts.rate / 50)),
      realistic: { spanMs: opts.seconds * 1000, historyDays: 0, fraudRate: 0.01, patterns: RULE_IDS },
    },
    productSerdes(ConfluentAvroRegistry.connect(opts.endpoints.registryUrl)).transaction,
  );
  const alertWatch = await watchAlerts({
    kafka: opts.kafka,
    registryUrl: opts.endpoints.registryUrl,
    alertsTopic: opts.topics.fraudAlerts,
    groupId: `${opts.appId}-alert-reader`,
  });
  const watch = await watchVisibility({
    kafka: opts.kafka,
    registryUrl: opts.endpoints.registryUrl,
    balancesTopic: opts.topics.balances,
    groupId: `${opts.appId}-latency-reader`,
    redisUrl: opts.endpoints.redisUrl,
    redisKeyPrefix: opts.redisKeyPrefix,
    sample: opts.sample,
  });
  // Every alert is timed (there are few); snapshots of the sampled accounts only.
  const sentAt = new Map<string, number>();
  const alertSentAt = new Map<string, number>();
  const kafkaSink = await connectKafkaSink({
    brokers: opts.endpoints.brokers,
    topic: opts.topics.transactions,
    serde: preEncodedSerde(traffic),
    log: () => undefined,
  });
  const stamping: TransactionSink = {
    async send(records) {
      const at = epochNow();
      for (const record of records) {
        if (!alertSentAt.has(record.transactionId)) alertSentAt.set(record.transactionId, at);
        if (isSampled(record.accountId, opts.sample) && !sentAt.has(record.transactionId))
          sentAt.set(record.transactionId, at);
      }
      await kafkaSink.send(records);
    },
    close: () => kafkaSink.close(),
  };
  const cpuBefore = await machineCpuTimes();
  const saldoCpuBefore = await processCpuSeconds(opts.saldo.pid);
  const brokerCpuBefore = opts.brokerPid === undefined ? undefined : await processCpuSeconds(opts.brokerPid);
  const harnessCpuBefore = process.cpuUsage();
  const opsUrl = await opts.saldo.opsUrl();
  const commitsBefore = opsUrl === undefined ? undefined : await readCommitTotals(opsUrl);
  const phaseStarted = performance.now();
  let cpuShares: { saldo: number | undefined; harness: number; broker: number | undefined } | undefined;
  let commits: CommitFigures | undefined;
  try {
    await sendPaced(traffic, stamping, systemRunClock);
    // Cores used while traffic flowed: saldo's, and this process' (producer and watchers).
    const seconds = (performance.now() - phaseStarted) / 1000;
    const commitsAfter = opsUrl === undefined ? undefined : await readCommitTotals(opsUrl);
    if (commitsBefore !== undefined && commitsAfter !== undefined)
      commits = commitFigures(commitsBefore, commitsAfter, seconds);
    const saldoCpu = await processCpuSeconds(opts.saldo.pid);
    const brokerCpu = opts.brokerPid === undefined ? undefined : await processCpuSeconds(opts.brokerPid);
    const harnessCpu = process.cpuUsage(harnessCpuBefore);
    cpuShares = {
      saldo:
        saldoCpu === undefined || saldoCpuBefore === undefined
          ? undefined
          : (saldoCpu - saldoCpuBefore) / seconds,
      harness: (harnessCpu.user + harnessCpu.system) / 1e6 / seconds,
      broker:
        brokerCpu === undefined || brokerCpuBefore === undefined
          ? undefined
          : (brokerCpu - brokerCpuBefore) / seconds,
    };
    const caughtUp = async () =>
      lag(
        await endOffsets(opts.admin, opts.topics.transactions),
        await committedOffsets(opts.admin, opts.appId, opts.topics.transactions),
      ) === 0;
    for (const deadline = Date.now() + 120_000; !(await caughtUp()); await sleep(100)) {
      if (Date.now() > deadline) throw new Error('latency: the instance did not catch up within 2 min');
    }
    await sleep(2_000);
  } finally {
    await stamping.close();
    await watch.stop();
    await alertWatch.stop();
  }
  const alertLatencies: number[] = [];
  for (const [id, seen] of alertWatch.seen) {
    const sent = alertSentAt.get(id);
    if (sent !== undefined) alertLatencies.push(seen - sent);
  }
  const both: number[] = [];
  const topicOnly: number[] = [];
  const redisOnly: number[] = [];
  const timed: TimedSample[] = [];
  for (const [id, sent] of sentAt) {
    const topic = watch.onTopic.get(id);
    const redis = watch.inRedis.get(id);
    if (topic !== undefined) topicOnly.push(topic - sent);
    if (redis !== undefined) redisOnly.push(redis - sent);
    if (topic !== undefined && redis !== undefined) {
      const latencyMs = Math.max(topic, redis) - sent;
      both.push(latencyMs);
      timed.push({ sentAt: sent, latencyMs });
    }
  }
  await writeFile(join(opts.workDir, 'latencies.csv'), latencyCsv(timed));
  const profile = latencyProfile(timed, PIPELINE_TARGETS.e2eP99Ms);
  const latency: LatencyFigures = {
    rate: opts.rate,
    seconds: opts.seconds,
    sent: sentAt.size,
    measured: both.length,
    p50Ms: percentile(both, 0.5),
    p99Ms: percentile(both, 0.99),
    maxMs: percentile(both, 1),
    topicP50Ms: percentile(topicOnly, 0.5),
    topicP99Ms: percentile(topicOnly, 0.99),
    redisP50Ms: percentile(redisOnly, 0.5),
    redisP99Ms: percentile(redisOnly, 0.99),
    machineSteal: stealShare(cpuBefore, await machineCpuTimes()),
    saldoCores: cpuShares?.saldo,
    harnessCores: cpuShares?.harness,
    brokerCores: cpuShares?.broker,
    sampledAccounts: opts.sample.suffix === '' ? 'all' : `ids ending in ${opts.sample.suffix}`,
    slowSeconds: profile.slowSeconds,
    longestSlowStretch: profile.longestSlowStretch,
    worstSecondP50Ms: profile.worstSecond?.p50Ms,
    commitsPerSecond: commits?.commitsPerSecond,
    meanCommitMs: commits?.meanCommitMs,
  };
  return {
    latency,
    alerts: {
      alerts: alertWatch.seen.size,
      measured: alertLatencies.length,
      p50Ms: percentile(alertLatencies, 0.5),
      p99Ms: percentile(alertLatencies, 0.99),
      maxMs: percentile(alertLatencies, 1),
    },
  };
}

/** Environment of a saldo process of this run. */
function saldoEnv(
  endpoints: { kafkaBrokers: string; schemaRegistryUrl: string; redisUrl: string },
  redisKeyPrefix: string,
  allocator: SaldoAllocator,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    KAFKA_BROKERS: endpoints.kafkaBrokers,
    SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
    REDIS_URL: endpoints.redisUrl,
    SALDO_REDIS_KEY_PREFIX: redisKeyPrefix,
    ...allocator.env,
  };
}

/** The counting topology from the same machine and hour: bench/engine.ts, exactly-once only. */
async function counting(records: number, streamThreads: number): Promise<CountingFigures | undefined> {
  if (records === 0) return undefined;
  log(`counting topology: ${records.toLocaleString('en-US')} records (bench/engine.ts --phases eos)`);
  const { stdout } = await execFileAsync(
    process.execPath,
    [
      join(ROOT, 'bench', 'engine.ts'),
      '--phases',
      'eos',
      '--records',
      String(records),
      '--stream-threads',
      String(streamThreads),
      '--no-append',
      '--json',
    ],
    { cwd: ROOT, maxBuffer: 16 * 1024 * 1024, env: process.env },
  );
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    eosRecordsPerSec: number;
    eosCpuMicrosPerRecord: number;
    peakRssMb: number;
  };
  return {
    records,
    recordsPerSec: summary.eosRecordsPerSec,
    cpuMicrosPerRecord: summary.eosCpuMicrosPerRecord,
    peakRssMb: summary.peakRssMb,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      transactions: { type: 'string' },
      accounts: { type: 'string' },
      partitions: { type: 'string' },
      'stream-threads': { type: 'string' },
      'latency-rate': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'counting-records': { type: 'string' },
      'input-days': { type: 'string' },
      'watch-every-account': { type: 'boolean', default: false },
      'no-balances-only': { type: 'boolean', default: false },
      'from-sources': { type: 'boolean', default: false },
      'node-options': { type: 'string' },
      allocator: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-append': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const transactions = positiveInt('transactions', values.transactions, 2_000_000);
  const accounts = positiveInt('accounts', values.accounts, 1_000_000);
  const partitions = positiveInt('partitions', values.partitions, 8);
  const streamThreads = positiveInt(
    'stream-threads',
    values['stream-threads'],
    recommendedStreamThreads(availableParallelism(), partitions),
  );
  const latencyRate = positiveInt('latency-rate', values['latency-rate'], 5_000);
  const latencySeconds = positiveInt('latency-seconds', values['latency-seconds'], 60);
  const nodeOptions =
    values['node-options'] === undefined
      ? [...RECOMMENDED_NODE_OPTIONS]
      : values['node-options'].split(/\s+/).filter((option) => option.length > 0);
  const allocator = saldoAllocator(values.allocator, existsSync);
  const countingRecords =
    values['counting-records'] === '0'
      ? 0
      : positiveInt('counting-records', values['counting-records'], 1_000_000);
  const inputDays = positiveInt('input-days', values['input-days'], 30);
  const sample: AccountSample = { suffix: values['watch-every-account'] ? '' : '0' };
  const date = new Date();

  const { endpoints, services } = await platformUp({ log });
  const brokers = endpoints.kafkaBrokers.split(',');
  const kafka = benchKafka(brokers, 'saldo-bench-pipeline');
  const admin = kafka.admin();
  await admin.connect();
  const run = `bench-pipeline-${Date.now().toString(36)}`;
  const topics = prefixedProductTopics(run);
  // The balances-alone run reads the same input and writes outputs of its own.
  const balancesOnlyRun = `${run}-bo`;
  const balancesOnlyTopics = { ...prefixedProductTopics(balancesOnlyRun), transactions: topics.transactions };
  const redisKeyPrefix = `${run}:`;
  const workDir = await mkdtemp(join(tmpdir(), 'saldo-bench-pipeline-'));
  // Taken as saldo is built: the source measured, and the load the run starts from.
  const machine = machineInfo();
  const main = values['from-sources'] ? join(ROOT, 'cli', 'main.ts') : await buildSaldo();
  let saldo: SaldoProcess | undefined;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        // The input spans a month of event time (its records' timestamps): kept whatever the
        // broker's retention, which would otherwise delete most of it unread (and did, once).
        { topic: topics.transactions, numPartitions: partitions, configEntries: [KEEP_FOREVER] },
        ...[topics.balances, topics.accountLimits, balancesOnlyTopics.balances].map((topic) => ({
          topic,
          numPartitions: partitions,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        })),
        { topic: topics.fraudAlerts, numPartitions: partitions, configEntries: [KEEP_FOREVER] },
      ],
    });
    await registerProductSchemas(ConfluentAvroRegistry.connect(endpoints.schemaRegistryUrl), topics);

    log(
      `pre-producing ${transactions.toLocaleString('en-US')} transactions of ${accounts.toLocaleString('en-US')} accounts over ${inputDays} days of event time (Avro, the generator)`,
    );
    const sink = await connectKafkaSink({
      brokers,
      topic: topics.transactions,
      serde: productSerdes(ConfluentAvroRegistry.connect(endpoints.schemaRegistryUrl)).transaction,
      log: () => undefined,
    });
    const produced = await runGenerator(
      {
        accounts,
        count: transactions,
        seed: 1,
        startTime: Date.now() - inputDays * DAY_MS,
        topic: topics.transactions,
        batchSize: 1_000,
        // A month of the accounts' lives (1% of stories fraud incidents): velocity state of 30 days.
        realistic: { spanMs: inputDays * DAY_MS, historyDays: 0, fraudRate: 0.01, patterns: RULE_IDS },
      },
      sink,
      { clock: systemRunClock, progress: silentProgress },
    ).finally(() => sink.close());
    log(
      `produced in ${(produced.elapsedMs / 1000).toFixed(1)} s (${Math.round(produced.recordsPerSecond).toLocaleString('en-US')}/s); ${produced.accountsWithBalances.toLocaleString('en-US')} accounts with balances`,
    );

    const saldoArgs = (appId: string, appTopics: typeof topics, extra: string[]) => [
      '--app-id',
      appId,
      '--state-dir',
      join(workDir, appId),
      '--stream-threads',
      String(streamThreads),
      '--transactions-topic',
      appTopics.transactions,
      '--balances-topic',
      appTopics.balances,
      '--limits-topic',
      appTopics.accountLimits,
      '--alerts-topic',
      appTopics.fraudAlerts,
      '--log-level',
      'warn',
      ...extra,
    ];
    let balancesOnly: BalancesOnlyFigures | undefined;
    if (!values['no-balances-only']) {
      log('saturation, balances alone: saldo run --no-fraud on the same input');
      const alone = SaldoProcess.start({
        main,
        args: saldoArgs(balancesOnlyRun, balancesOnlyTopics, ['--no-fraud']),
        env: saldoEnv(endpoints, `${balancesOnlyRun}:`, allocator),
        nodeOptions,
        logFile: join(workDir, 'saldo-balances-only.log'),
      });
      try {
        const figures = await saturate(alone, admin, balancesOnlyRun, topics.transactions, transactions);
        balancesOnly = {
          transactionsPerSec: figures.transactionsPerSec,
          cpuMicrosPerTransaction: figures.cpuMicrosPerTransaction,
        };
      } finally {
        await alone.stop();
      }
      log(
        `balances alone: ${Math.round(balancesOnly.transactionsPerSec).toLocaleString('en-US')} transactions/s, ${balancesOnly.cpuMicrosPerTransaction.toFixed(1)} µs CPU each`,
      );
    }

    log(
      `saturation, whole product: saldo run (exactly-once, ${streamThreads} stream threads, ${values['from-sources'] ? 'from the sources' : 'compiled'})`,
    );
    saldo = SaldoProcess.start({
      main,
      args: saldoArgs(run, topics, []),
      env: saldoEnv(endpoints, redisKeyPrefix, allocator),
      nodeOptions,
      logFile: join(workDir, 'saldo.log'),
      // A port known in advance: the instance logs at warn, not the port it would pick.
      opsPort: await freePort(),
    });
    const memorySplit = sampleMemorySplit(saldo.pid);
    const saturation = await saturate(saldo, admin, run, topics.transactions, transactions);
    log(
      `saturation: ${Math.round(saturation.transactionsPerSec).toLocaleString('en-US')} transactions/s, ${saturation.cpuMicrosPerTransaction.toFixed(1)} µs CPU each`,
    );

    log(
      `latency: ${latencyRate.toLocaleString('en-US')} transactions/s for ${latencySeconds} s into the running instance`,
    );
    const { latency, alerts: alertLatency } = await measureLatency({
      saldo,
      admin,
      kafka,
      appId: run,
      topics,
      endpoints: { registryUrl: endpoints.schemaRegistryUrl, redisUrl: endpoints.redisUrl, brokers },
      redisKeyPrefix,
      accounts,
      rate: latencyRate,
      seconds: latencySeconds,
      sample,
      workDir,
      brokerPid: services.find((service) => service.name === 'kafka')?.pid,
    });
    log(
      `latency: p50 ${latency.p50Ms.toFixed(0)} ms, p99 ${latency.p99Ms.toFixed(0)} ms (${latency.measured.toLocaleString('en-US')} of ${latency.sent.toLocaleString('en-US')} transactions of the sampled accounts seen on the topic and in Redis; saldo ${latency.saldoCores?.toFixed(2) ?? '?'} cores, the bench ${latency.harnessCores?.toFixed(2) ?? '?'}, the broker ${latency.brokerCores?.toFixed(2) ?? '?'})`,
    );
    log(`latency, second by second: ${latencyShape(latency) ?? 'not timed'}`);
    log(
      `alerts: p50 ${alertLatency.p50Ms.toFixed(0)} ms, p99 ${alertLatency.p99Ms.toFixed(0)} ms (${alertLatency.measured.toLocaleString('en-US')} of ${alertLatency.alerts.toLocaleString('en-US')} alerts measured)`,
    );
    const memory = await processMemoryMb(saldo.pid);
    const split = memorySplit.stop();
    const troubles = await saldo.troubles();
    await saldo.stop();

    const countingFigures = await counting(countingRecords, streamThreads);
    const report: PipelineReport = {
      date,
      command: `npm run bench:pipeline${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine,
      partitions,
      streamThreads,
      accounts,
      accountsWithBalances: produced.accountsWithBalances,
      produceRate: produced.recordsPerSecond,
      saturation,
      balancesOnly,
      latency,
      alertLatency,
      inputSpanDays: inputDays,
      peakRssMb: memory?.peakRssMb ?? Number.NaN,
      memorySplit: split,
      counting: countingFigures,
      troubles,
      compiled: !values['from-sources'],
      nodeOptions,
      allocator: allocator.description,
    };
    for (const check of pipelineTargetChecks(report))
      log(`${check.ok ? 'PASS' : 'MISS'} ${check.what}: ${check.measured} (target ${check.target})`);
    if (!values['no-append']) {
      await appendPipelineReport(BENCHMARKS_FILE, report);
      log(`appended to ${BENCHMARKS_FILE}`);
    }
    if (values.json) console.log(JSON.stringify(pipelineJson(report)));
  } finally {
    await saldo?.stop();
    if (!values.keep) {
      // Its topics (inputs, outputs, changelogs, DLQ) and groups (the app's, the readers').
      const ours = (await admin.listTopics()).filter((topic) => topic.startsWith(`${run}-`));
      await cleanUp(admin, ours, run);
      await rm(workDir, { recursive: true, force: true });
      await deleteRedisKeys(endpoints.redisUrl, redisKeyPrefix);
      await deleteRedisKeys(endpoints.redisUrl, `${balancesOnlyRun}:`);
    } else log(`kept: topics ${run}-*, Redis keys ${redisKeyPrefix}*, state and log in ${workDir}`);
    await admin.disconnect();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:pipeline failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
