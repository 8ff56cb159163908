import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { StreamsConfigInput } from '../config.ts';
import type { MemberReadiness } from '../ops/readiness.ts';
import type { LocalRead, QueryRouting, StoreRead } from '../queries/index.ts';

/**
 * A module's exported function and the plain arguments (anything the structured clone algorithm
 * copies) to call it with, inside a stream thread. A worker cannot be handed functions, such as a
 * topology's processors or a post-commit hook, so each thread builds its own from the same source.
 */
export interface ModuleFactory {
  /** A file: URL (or a package specifier) that the thread can import. */
  module: string;
  /** The export to call with `args`; it may return a promise. */
  exportName: string;
  args: unknown;
}

/** Builds a thread's topology: the export returns a Topology. */
export type TopologySource = ModuleFactory;

/** Builds one of a thread's post-commit hooks: the export returns a PostCommitHook. */
export type PostCommitHookSource = ModuleFactory;

export interface StreamThreadData {
  source: TopologySource;
  postCommitHooks: PostCommitHookSource[];
  /** The instance's configuration for this one thread (streamThreads 1, its own instance id). */
  config: StreamsConfigInput;
  /** The thread's number, 0-based: a label of its metrics. */
  thread: number;
  /** Keep every commit latency (the benchmark reports exact percentiles). */
  recordCommitLatencies: boolean;
}

export type ToStreamThread =
  | { type: 'stop' }
  /** Asks for the thread's metrics now; answered by a `metrics` message with the same id. */
  | { type: 'metrics'; requestId: number }
  /** Reads the committed state of the task of `partition` for a query; answered by a `query` message. */
  | { type: 'query'; requestId: number; partition: number; reads: readonly StoreRead[] }
  /** Asks for the thread's readiness (its app's state, assignment and active tasks). */
  | { type: 'readiness'; requestId: number };

export type ThreadMetrics = Array<MetricObjectWithValues<MetricValue<string>>>;

export type FromStreamThread =
  /** `partitions`: the inputs' partition count, which places a query's key. */
  | { type: 'running'; partitions?: number }
  | { type: 'restored'; taskId: string; total: number; elapsedMs: number }
  /** The thread cannot go on: it failed to start, or its group consumer failed for good. */
  | { type: 'failed'; message: string }
  | { type: 'metrics'; requestId: number; metrics: ThreadMetrics }
  /** A routing the thread's app took (StreamsApp.onRouting): the main thread keeps the latest. */
  | { type: 'routing'; routing: QueryRouting }
  | { type: 'query'; requestId: number; answer: LocalRead }
  /** The read of a `query` request failed (a store error): the query answers 500. */
  | { type: 'query-failed'; requestId: number; message: string }
  | { type: 'readiness'; requestId: number; readiness: MemberReadiness }
  | { type: 'stopped'; metrics: ThreadMetrics; commitLatenciesMs: number[] };
