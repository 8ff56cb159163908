import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { StreamsConfigInput } from '../config.ts';

/**
 * Where a stream thread gets its topology: a module's exported function, called in the thread with
 * `args` (anything the structured clone algorithm copies). A worker cannot be handed a topology, whose
 * processors are functions, so each thread builds its own from the same source.
 */
export interface TopologySource {
  /** A file: URL (or a package specifier) that the thread can import. */
  module: string;
  /** The export to call: `(args) => Topology | Promise<Topology>`. */
  exportName: string;
  args: unknown;
}

export interface StreamThreadData {
  source: TopologySource;
  /** The instance's configuration for this one thread (streamThreads 1, its own instance id). */
  config: StreamsConfigInput;
  /** The thread's number, 0-based: a label of its metrics. */
  thread: number;
  /** Keep every commit latency (the benchmark reports exact percentiles). */
  recordCommitLatencies: boolean;
}

export type ToStreamThread = { type: 'stop' };

export type ThreadMetrics = Array<MetricObjectWithValues<MetricValue<string>>>;

export type FromStreamThread =
  | { type: 'running' }
  | { type: 'restored'; taskId: string; total: number; elapsedMs: number }
  /** The thread cannot go on: it failed to start, or its group consumer failed for good. */
  | { type: 'failed'; message: string }
  | { type: 'stopped'; metrics: ThreadMetrics; commitLatenciesMs: number[] };
