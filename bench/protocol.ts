import type { StreamsConfigInput } from '../processor/index.ts';
/**
 * Messages between the benchmark (bench/engine.ts) and the engine process it forks
 * (bench/engine-runner.ts), over Node's IPC channel. Times are epoch milliseconds with
 * sub-millisecond precision (performance.timeOrigin + performance.now()), comparable across the
 * two processes on one machine.
 */

export type Guarantee = 'exactly-once' | 'at-least-once';

/** What the runner is told to run: argv[2] of the runner, as JSON. */
export interface RunnerSpec {
  appId: string;
  brokers: string[];
  stateDir: string;
  input: string;
  output: string;
  guarantee: Guarantee;
  commitIntervalMs: number;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  kafkaClientThread: 'worker' | 'main';
  /** Stream threads of the engine (config streamThreads); 1 when absent. */
  streamThreads?: number;
  /** Assignment settings (the scale-out stalls); the engine's defaults when absent. */
  assignment?: Pick<
    StreamsConfigInput,
    | 'instanceId'
    | 'numStandbyReplicas'
    | 'acceptableRecoveryLag'
    | 'heartbeatIntervalMs'
    | 'probingRebalanceIntervalMs'
  >;
}

export interface RestoredMessage {
  type: 'restored';
  taskId: string;
  total: number;
  elapsedMs: number;
  /** When the task's restore finished and it started running. */
  at: number;
}

/** saldo_restore_records_total went above zero: the first changelog records were applied. */
export interface RestoreProgressMessage {
  type: 'restore-progress';
  firstRecordsAt: number;
}

export interface StartedMessage {
  type: 'started';
  /** When app.start() was called, and when it resolved (group joined, consumer running). */
  calledAt: number;
  at: number;
}

export interface FailedMessage {
  type: 'failed';
  message: string;
}

export interface HistogramBucket {
  le: number;
  count: number;
}

export interface ResultMessage {
  type: 'result';
  /** saldo_records_processed_total, summed over tasks. */
  recordsProcessed: number;
  /** saldo_dead_letters_total, summed. */
  deadLetters: number;
  /** saldo_commits_total, summed. */
  commits: number;
  commitFailures: number;
  /** Every value the engine observed into saldo_commit_latency_seconds, in milliseconds. */
  commitLatencyMs: number[];
  /** The same histogram's cumulative buckets, as the engine exports them. */
  commitHistogram: HistogramBucket[];
  /** process.resourceUsage().maxRSS, in kilobytes. */
  maxRssKb: number;
  /** User + system CPU of the engine process from app.start() to the stop request, in ms. */
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Event-loop utilisation (0..1) of the engine's main thread over the same span. */
  eventLoopUtilization: number;
  /** Wall time of that span, in ms. */
  spanMs: number;
  /** CPU (user + system) and event-loop utilisation from the first task running to the stop request. */
  processingCpuMs: number;
  processingEventLoopUtilization: number;
  /** saldo_restore_records_total: changelog records applied, including attempts that failed. */
  restoreRecordsApplied: number;
  /** Peaks of process.memoryUsage(), sampled every 100 ms, in bytes. */
  memoryPeaks: { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number };
}

export type RunnerMessage =
  RestoredMessage | RestoreProgressMessage | StartedMessage | FailedMessage | ResultMessage;

/** Parent -> runner. */
export interface StopRequest {
  type: 'stop';
}

export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
