/**
 * The engine process of the benchmark: one StreamsApp running the counting topology, forked by
 * bench/engine.ts so that its peak RSS and CPU profile are the engine's alone. It reports over
 * IPC when tasks are running (with their restore summaries) and, when told to stop, its metrics:
 * every commit latency the engine observed, peak RSS, CPU time and event-loop utilisation.
 *
 *   node bench/engine-runner.ts '<RunnerSpec as JSON>'   (with an IPC channel: child_process.fork)
 */
import type { Histogram } from 'prom-client';
import {
  EngineMetrics,
  StreamThreadsApp,
  StreamsApp,
  siblingModuleUrl,
  type StreamsConfigInput,
} from '../processor/index.ts';
import { countingTopology } from '../topologies/counting.ts';
import {
  epochNow,
  type HistogramBucket,
  type RunnerMessage,
  type ResultMessage,
  type RunnerSpec,
  type StopRequest,
} from './protocol.ts';

function send(message: RunnerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      console.log(JSON.stringify(message));
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

async function sumOf(metric: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> {
  const { values } = await metric.get();
  return values.reduce((sum, v) => sum + v.value, 0);
}

async function bucketsOf(histogram: Histogram): Promise<HistogramBucket[]> {
  const { values } = await histogram.get();
  return values
    .filter((v) => v.metricName === 'saldo_commit_latency_seconds_bucket')
    .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }));
}

/** What the runner needs of the engine, run as one StreamsApp or as several stream threads. */
interface BenchEngine {
  start(): Promise<void>;
  stop(): Promise<EngineTotals>;
  /** The live restore counter, when this thread can read it (one stream thread only). */
  restoredRecords: MetricReader | undefined;
}

type MetricReader = { get(): Promise<{ values: Array<{ value: number }> }> };

type EngineTotals = Pick<
  ResultMessage,
  | 'recordsProcessed'
  | 'deadLetters'
  | 'commits'
  | 'commitFailures'
  | 'commitLatencyMs'
  | 'commitHistogram'
  | 'restoreRecordsApplied'
>;

async function totalsFrom(
  metric: (name: string) => MetricReader | undefined,
  commitLatencyMs: number[],
): Promise<EngineTotals> {
  const sum = async (name: string) => {
    const m = metric(name);
    return m ? sumOf(m) : 0;
  };
  const histogram = metric('saldo_commit_latency_seconds');
  return {
    recordsProcessed: await sum('saldo_records_processed_total'),
    deadLetters: await sum('saldo_dead_letters_total'),
    commits: await sum('saldo_commits_total'),
    commitFailures: await sum('saldo_commit_failures_total'),
    commitLatencyMs,
    commitHistogram: histogram ? await bucketsOf(histogram as unknown as Histogram) : [],
    restoreRecordsApplied: await sum('saldo_restore_records_total'),
  };
}

type OnRestored = (taskId: string, summary: { total: number; elapsedMs: number }) => void;

function singleEngine(spec: RunnerSpec, config: StreamsConfigInput, onRestored: OnRestored): BenchEngine {
  const metrics = new EngineMetrics({ app: spec.appId });
  // Every observation of the engine's own commit-latency histogram (same start and end points as
  // the engine's metric), so that percentiles are exact rather than bucket estimates.
  const commitLatencyMs = metrics.recordCommitLatencies();
  const app = new StreamsApp(countingTopology({ input: spec.input, output: spec.output }), config, {
    metrics,
    onRestored,
  });
  return {
    start: () => app.start(),
    stop: async () => {
      await app.stop();
      return totalsFrom((name) => metrics.registry.getSingleMetric(name), commitLatencyMs);
    },
    restoredRecords: metrics.restoredRecords,
  };
}

function threadsEngine(spec: RunnerSpec, config: StreamsConfigInput, onRestored: OnRestored): BenchEngine {
  const app = new StreamThreadsApp(
    {
      module: siblingModuleUrl('../topologies/index.ts', import.meta.url).href,
      exportName: 'topologyByName',
      args: { name: 'counting', input: spec.input, output: spec.output },
    },
    config,
    { onRestored, recordCommitLatencies: true },
  );
  return {
    start: () => app.start(),
    stop: async () => {
      const summary = await app.stop();
      return totalsFrom((name) => summary.metrics.getSingleMetric(name), summary.commitLatenciesMs);
    },
    restoredRecords: undefined,
  };
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: engine-runner.ts <spec json>');
  const spec = JSON.parse(raw) as RunnerSpec;

  const streamThreads = spec.streamThreads ?? 1;
  const config: StreamsConfigInput = {
    applicationId: spec.appId,
    brokers: spec.brokers,
    stateDir: spec.stateDir,
    processingGuarantee: spec.guarantee,
    commitIntervalMs: spec.commitIntervalMs,
    logLevel: spec.logLevel,
    kafkaClientThread: spec.kafkaClientThread,
    streamThreads,
    ...spec.assignment,
  };
  const onRestored = (taskId: string, summary: { total: number; elapsedMs: number }) => {
    if (!processingStart)
      processingStart = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() };
    void send({
      type: 'restored',
      taskId,
      total: summary.total,
      elapsedMs: summary.elapsedMs,
      at: epochNow(),
    });
  };
  const app =
    streamThreads > 1 ? threadsEngine(spec, config, onRestored) : singleEngine(spec, config, onRestored);

  // Where the memory is: peaks of the V8 heap and of off-heap buffers next to the RSS.
  const memoryPeaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampleMemory = () => {
    const m = process.memoryUsage();
    for (const k of Object.keys(memoryPeaks) as Array<keyof typeof memoryPeaks>)
      memoryPeaks[k] = Math.max(memoryPeaks[k], m[k]);
  };
  const memorySampler = setInterval(sampleMemory, 100);
  memorySampler.unref();

  let processingStart:
    { cpu: NodeJS.CpuUsage; elu: ReturnType<typeof performance.eventLoopUtilization> } | undefined;
  const cpuAtStart = process.cpuUsage();
  const eluAtStart = performance.eventLoopUtilization();
  const spanStart = epochNow();
  let stopping = false;

  process.on('message', (message: StopRequest) => {
    if (message.type !== 'stop' || stopping) return;
    stopping = true;
    const cpu = process.cpuUsage(cpuAtStart);
    const elu = performance.eventLoopUtilization(eluAtStart);
    const spanMs = epochNow() - spanStart;
    const processingCpu = processingStart ? process.cpuUsage(processingStart.cpu) : cpu;
    const processingElu = processingStart ? performance.eventLoopUtilization(processingStart.elu) : elu;
    sampleMemory();
    void (async () => {
      const totals = await app.stop();
      await send({
        type: 'result',
        ...totals,
        maxRssKb: process.resourceUsage().maxRSS,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        eventLoopUtilization: elu.utilization,
        spanMs,
        processingCpuMs: (processingCpu.user + processingCpu.system) / 1000,
        processingEventLoopUtilization: processingElu.utilization,
        memoryPeaks,
      });
      process.disconnect?.();
      // Exit explicitly (kafkajs may hold timers); --cpu-prof still writes its profile on exit.
      process.exit(0);
    })().catch(async (error: unknown) => {
      await send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    });
  });
  process.on('disconnect', () => {
    // The benchmark went away: do not linger as an orphan.
    if (!stopping) process.exit(2);
  });

  // When do changelog records start arriving? (Joining the reader's throwaway group comes first.)
  const restoredRecords = app.restoredRecords;
  if (restoredRecords) {
    const sampler = setInterval(() => {
      void sumOf(restoredRecords).then((n) => {
        if (n > 0) {
          clearInterval(sampler);
          void send({ type: 'restore-progress', firstRecordsAt: epochNow() });
        }
      });
    }, 20);
    sampler.unref();
  }

  const calledAt = epochNow();
  await app.start();
  await send({ type: 'started', calledAt, at: epochNow() });
}

main().catch(async (error: unknown) => {
  await send({
    type: 'failed',
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  process.exit(1);
});
