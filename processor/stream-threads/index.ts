import { Worker } from 'node:worker_threads';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { AppLifecycle, exitNonZero, instanceLogger, stopOnSignals, type AppState } from '../app-lifecycle.ts';
import {
  MIN_FETCH_MAX_BYTES,
  validateStreamsConfig,
  type StreamsConfig,
  type StreamsConfigInput,
} from '../config.ts';
import { SaldoError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { siblingModuleUrl } from '../module-url.ts';
import {
  NOT_OWNER,
  RESTORING,
  RoutingTable,
  type LocalRead,
  type QueryRouting,
  type QueryTarget,
  type StoreRead,
} from '../queries/index.ts';
import type {
  FromStreamThread,
  PostCommitHookSource,
  StreamThreadData,
  ThreadMetrics,
  ToStreamThread,
  TopologySource,
} from './protocol.ts';
import { runStreamThread } from './runner.ts';
import { ThreadRequests } from './thread-requests.ts';
import type { MemberReadiness } from '../ops/readiness.ts';

export type { ModuleFactory, PostCommitHookSource, TopologySource } from './protocol.ts';

const THREAD_URL = siblingModuleUrl('./thread.ts', import.meta.url);

/** How long a thread may take to stop cleanly (finish its batch, commit, close, leave the group). */
const THREAD_STOP_TIMEOUT_MS = 60_000;

/** How long metrics() waits for a thread's answer. A thread yields every few ms, so this is generous. */
const METRICS_TIMEOUT_MS = 5_000;

/** How long a query waits for a thread's read; one that does not answer counts as not running the task. */
const QUERY_READ_TIMEOUT_MS = 2_000;

/**
 * One thread's configuration: its own instance id (client ids and logs tell the threads apart), and
 * an even share of the instance's fetch budget. A fetch is decoded whole and lives until processed,
 * so fetchMaxBytes bounds much of the memory; shared this way, the instance holds what one thread
 * would (Kafka Streams shares its record cache among its threads the same way).
 */
export function threadConfig(config: StreamsConfig, index: number): StreamsConfigInput {
  const fetchMaxBytes = Math.max(
    MIN_FETCH_MAX_BYTES,
    Math.floor(config.fetchMaxBytes / config.streamThreads),
  );
  return {
    ...config,
    streamThreads: 1,
    instanceId: `${config.instanceId}-${index}`,
    processId: config.processId ?? config.instanceId,
    fetchMaxBytes,
    fetchMaxBytesPerPartition: Math.min(config.fetchMaxBytesPerPartition, fetchMaxBytes),
  };
}

/** How long readiness() waits for a thread's answer: a probe's timeout is a few seconds. */
const READINESS_TIMEOUT_MS = 1_000;

/** A thread's state before it has been told to stop. */
const initialThreadState = () => ({ stopping: false, ended: false, requests: new ThreadRequests() });

/** A stream thread failed to start, or failed for good while running. */
export class StreamThreadError extends SaldoError {}

export interface StreamThreadsAppOptions {
  logger?: Logger;
  /** A task of any thread has restored and runs. */
  onRestored?: (taskId: string, summary: { total: number; elapsedMs: number }) => void;
  /** A thread failed for good after the start; the default sets the process's exit code to 1. */
  onFailed?: (error: StreamThreadError) => void;
  /**
   * Post-commit hooks (e.g. the Redis serving cache), built in every thread for that thread's tasks:
   * each sees its tasks' committed outputs in order per partition, as StreamsApp.onCommitted.
   */
  postCommitHooks?: PostCommitHookSource[];
  /** Keep every commit latency of every thread, for stop()'s summary (the benchmark). */
  recordCommitLatencies?: boolean;
}

export interface StreamThreadsSummary {
  /** The threads' engine metrics, summed where their labels agree (each carries a `thread` label). */
  metrics: Registry;
  commitLatenciesMs: number[];
}

type ThreadReport = { metrics: ThreadMetrics; commitLatenciesMs: number[] };

interface RunningThread {
  readonly index: number;
  /** Hands the thread a message (the worker's port, or the runner's receiver on the main thread). */
  readonly send: (message: ToStreamThread) => void;
  /** Gives up on a thread that does not stop: a worker is terminated, the main thread's is left. */
  readonly abandon: () => void;
  /** Settles with the thread's last report once it has stopped (or undefined: it died, or was given up). */
  readonly stopped: Promise<ThreadReport | undefined>;
  stopping: boolean;
  /** True once `stopped` has settled: the thread answers nothing more. */
  ended: boolean;
  /** metrics(), readLocal() and readiness() requests awaiting the thread's answer. */
  readonly requests: ThreadRequests;
}

/**
 * An instance with several stream threads (Kafka Streams' num.stream.threads): each thread runs its
 * own StreamsApp, so its own group member, Kafka clients, task manager and tasks; the group spreads
 * the partitions over the threads as over instances. Thread 0 runs on the main thread, the others
 * in workers: the main thread has little else to do, and every worker costs a V8 heap and a second
 * copy of the engine's code (about 40 MB from the build, 65 MB from the sources; BENCHMARKS.md).
 */
export class StreamThreadsApp implements QueryTarget {
  readonly config: StreamsConfig;
  readonly logger: Logger;
  readonly #source: TopologySource;
  readonly #opts: StreamThreadsAppOptions;
  readonly #threads: RunningThread[] = [];
  readonly #lifecycle: AppLifecycle;
  // Interactive queries: the latest routing any thread reported, and the inputs' partition count.
  readonly #routing = new RoutingTable();
  #partitionCount: number | undefined;

  constructor(source: TopologySource, config: StreamsConfigInput, opts: StreamThreadsAppOptions = {}) {
    this.config = validateStreamsConfig(config);
    this.#source = source;
    this.#opts = opts;
    this.logger = opts.logger ?? instanceLogger(this.config);
    this.#lifecycle = new AppLifecycle(this.config.applicationId, this.logger);
  }

  get state(): AppState {
    return this.#lifecycle.state;
  }

  async start(): Promise<void> {
    this.#lifecycle.transitionTo('starting');
    try {
      // All at once, so that they join the group together: one that started alone would take every
      // partition, restore and process them, and give half of them back a moment later. Threads
      // that create the same internal topic at once are fine (kafkajs treats "already exists" as done).
      await Promise.all(Array.from({ length: this.config.streamThreads }, (_, i) => this.#spawn(i)));
      if (this.state !== 'starting') throw new StreamThreadError('stopped while starting');
      this.#lifecycle.transitionTo('running');
    } catch (error) {
      // A stop() during the start has taken the app to pending-shutdown and stops the threads itself.
      if (this.state !== 'starting') throw error;
      this.#lifecycle.transitionTo('failed');
      await this.#stopThreads();
      throw error;
    }
  }

  /** Starts thread `index` and resolves once it runs (its internal topics exist, it has joined). */
  #spawn(index: number): Promise<void> {
    const data: StreamThreadData = {
      source: this.#source,
      postCommitHooks: this.#opts.postCommitHooks ?? [],
      config: threadConfig(this.config, index),
      thread: index,
      recordCommitLatencies: this.#opts.recordCommitLatencies ?? false,
    };
    return new Promise<void>((resolveRunning, rejectRunning) => {
      let running = false;
      let resolveStopped: (report: ThreadReport | undefined) => void = () => undefined;
      const stopped = new Promise<ThreadReport | undefined>((resolve) => (resolveStopped = resolve));
      // Assigned below, before the thread can report anything.
      let thread: RunningThread;
      const fail = (message: string) => {
        const error = new StreamThreadError(`stream thread ${index}: ${message}`);
        if (!running) {
          rejectRunning(error);
          return;
        }
        if (thread.stopping) return;
        this.logger.fatal({ thread: index, error: error.message }, 'a stream thread failed; stopping');
        (this.#opts.onFailed ?? exitNonZero)(error);
        void this.stop().catch(() => undefined);
      };
      const onMessage = (message: FromStreamThread): boolean => {
        if (message.type === 'running') {
          if (message.partitions !== undefined) this.#partitionCount = message.partitions;
          running = true;
          this.logger.info({ thread: index }, `stream thread ${index} running`);
          resolveRunning();
        } else if (message.type === 'restored') {
          this.#opts.onRestored?.(message.taskId, { total: message.total, elapsedMs: message.elapsedMs });
        } else if (message.type === 'failed') {
          fail(message.message);
        } else if (message.type === 'metrics') {
          thread.requests.answer(message.requestId, message.metrics);
        } else if (message.type === 'routing') {
          this.#routing.update(message.routing);
        } else if (message.type === 'query') {
          thread.requests.answer(message.requestId, message.answer);
        } else if (message.type === 'query-failed') {
          thread.requests.answer(message.requestId, new StreamThreadError(message.message));
        } else if (message.type === 'readiness') {
          thread.requests.answer(message.requestId, message.readiness);
        } else {
          // Stopped before it ran: a thread told to stop while starting never reports `running`.
          if (!running) rejectRunning(new StreamThreadError(`stream thread ${index}: stopped before it ran`));
          resolveStopped({ metrics: message.metrics, commitLatenciesMs: message.commitLatenciesMs });
          return true;
        }
        return false;
      };
      if (index === 0) {
        // Delivered as a worker's messages would be: never inside the runner's own call stack.
        const send = runStreamThread(data, (message) => queueMicrotask(() => onMessage(message)));
        thread = { index, send, abandon: () => resolveStopped(undefined), stopped, ...initialThreadState() };
      } else {
        // No resourceLimits: Node applies the process's --max-old-space-size and --max-semi-space-size
        // to every thread's heap, overriding them (docs/operations.md).
        const worker = new Worker(THREAD_URL, { workerData: data });
        worker.on('message', (message: FromStreamThread) => {
          // Its Kafka clients may hold timers; once stopped, everything that matters is done.
          if (onMessage(message)) void worker.terminate();
        });
        worker.on('error', (error) => fail(error.message));
        worker.on('exit', (code) => {
          resolveStopped(undefined);
          fail(`exited with code ${code}`);
        });
        const send = (message: ToStreamThread) => worker.postMessage(message);
        thread = { index, send, abandon: () => void worker.terminate(), stopped, ...initialThreadState() };
      }
      void stopped.then(() => {
        thread.ended = true;
        thread.requests.end();
      });
      this.#threads.push(thread);
    });
  }

  /**
   * The threads' engine metrics now, summed where their labels agree (each carries a `thread`
   * label), as prom-client's cluster mode sums its workers': what a metrics endpoint serves. A
   * thread that has ended, or does not answer within METRICS_TIMEOUT_MS, is left out.
   */
  async metrics(): Promise<Registry> {
    const answers = await Promise.all(this.#threads.map((thread) => this.#metricsOf(thread)));
    return AggregatorRegistry.aggregate(answers.flatMap((metrics) => (metrics ? [metrics] : [])));
  }

  #metricsOf(thread: RunningThread): Promise<ThreadMetrics | undefined> {
    return thread.requests.ask<ThreadMetrics | undefined>(
      (requestId) => thread.send({ type: 'metrics', requestId }),
      {
        timeoutMs: METRICS_TIMEOUT_MS,
        fallback: undefined,
        onTimeout: () =>
          this.logger.warn({ thread: thread.index }, 'a stream thread did not report its metrics in time'),
      },
    );
  }

  /**
   * Each thread's part of the instance's readiness (ops/readiness.ts); undefined for a thread that
   * has ended or did not answer within READINESS_TIMEOUT_MS.
   */
  async memberReadiness(): Promise<Array<MemberReadiness | undefined>> {
    return Promise.all(
      this.#threads.map((thread) =>
        thread.requests.ask<MemberReadiness | undefined>(
          (requestId) => thread.send({ type: 'readiness', requestId }),
          { timeoutMs: READINESS_TIMEOUT_MS, fallback: undefined, onTimeout: () => undefined },
        ),
      ),
    );
  }

  /** The inputs' partition count, once a thread has checked the topics. */
  get partitionCount(): number | undefined {
    return this.#partitionCount;
  }

  /** The latest routing of queries any thread reported (each learns the same one per generation). */
  get routing(): QueryRouting | undefined {
    return this.#routing.current;
  }

  onRouting(routing: QueryRouting): void {
    this.#routing.update(routing);
  }

  /**
   * Reads committed state of the task of `partition` in whichever thread runs it: every running
   * thread is asked (a task moves between threads as between instances); one that runs it
   * answers, else one that restores it, else none has it.
   */
  async readLocal(partition: number, reads: readonly StoreRead[]): Promise<LocalRead> {
    const answers = await Promise.all(
      this.#threads.filter((t) => !t.ended).map((thread) => this.#readIn(thread, partition, reads)),
    );
    const ok = answers.find((a) => !(a instanceof Error) && a.status === 'ok');
    if (ok !== undefined) return ok as LocalRead;
    if (answers.some((a) => !(a instanceof Error) && a.status === 'restoring')) return RESTORING;
    const failure = answers.find((a) => a instanceof Error);
    if (failure !== undefined) throw failure;
    return NOT_OWNER;
  }

  #readIn(thread: RunningThread, partition: number, reads: readonly StoreRead[]): Promise<LocalRead | Error> {
    return thread.requests.ask<LocalRead | Error>(
      (requestId) => thread.send({ type: 'query', requestId, partition, reads }),
      {
        timeoutMs: QUERY_READ_TIMEOUT_MS,
        fallback: NOT_OWNER,
        onTimeout: () =>
          this.logger.warn(
            { thread: thread.index, partition },
            'a stream thread did not answer a query in time',
          ),
      },
    );
  }

  /** Every thread finishes its batch, commits, closes its stores and leaves the group. */
  async stop(): Promise<StreamThreadsSummary> {
    const state = this.state;
    if (state === 'created') this.#lifecycle.transitionTo('stopped');
    else if (state !== 'pending-shutdown' && state !== 'stopped')
      this.#lifecycle.transitionTo('pending-shutdown');
    const reports = await this.#stopThreads();
    if (this.state !== 'stopped') this.#lifecycle.transitionTo('stopped');
    const present = reports.flatMap((r) => (r ? [r] : []));
    return {
      metrics: AggregatorRegistry.aggregate(present.map((r) => r.metrics)),
      commitLatenciesMs: present.flatMap((r) => r.commitLatenciesMs),
    };
  }

  async #stopThreads(): Promise<Array<ThreadReport | undefined>> {
    for (const thread of this.#threads) {
      if (thread.stopping) continue;
      thread.stopping = true;
      thread.send({ type: 'stop' });
      // A thread that cannot finish its clean stop (a commit that hangs on a lost broker) is given
      // up: whatever it had not committed is redone by the next owner of its tasks.
      const deadline = setTimeout(() => {
        this.logger.error(
          { thread: thread.index },
          `stream thread ${thread.index} did not stop in time; giving up on it`,
        );
        thread.abandon();
      }, THREAD_STOP_TIMEOUT_MS);
      deadline.unref();
      void thread.stopped.finally(() => clearTimeout(deadline));
    }
    return Promise.all(this.#threads.map((t) => t.stopped));
  }

  /** SIGTERM/SIGINT: a clean stop of every thread; the exit code stays 1 if a thread had failed. */
  installSignalHandlers(): void {
    stopOnSignals(
      this.logger,
      () => this.stop(),
      () => Number(process.exitCode ?? 0),
    );
  }
}
