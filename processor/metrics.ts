import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The engine's Prometheus metrics, named after Kafka Streams' (process-rate, commit-latency,
 * restore-*), one registry per app so that several apps can live in one process (tests).
 */
export class EngineMetrics {
  readonly registry: Registry;
  readonly recordsProcessed: Counter<'task'>;
  readonly deadLetters: Counter<'reason' | 'topic' | 'code'>;
  readonly commits: Counter<'task'>;
  readonly commitFailures: Counter<'reason'>;
  readonly commitLatency: Histogram;
  readonly restoredRecords: Counter<'store'>;
  readonly restoreRemaining: Gauge<'task'>;
  readonly tasks: Gauge<'state'>;
  readonly punctuationErrors: Counter<'processor'>;
  readonly inputRecordsLostToRetention: Counter<'topic'>;

  constructor(defaultLabels: Record<string, string> = {}) {
    this.registry = new Registry();
    this.registry.setDefaultLabels(defaultLabels);
    const registers = [this.registry];
    this.recordsProcessed = new Counter({
      name: 'saldo_records_processed_total',
      help: 'Input records processed',
      labelNames: ['task'],
      registers,
    });
    this.deadLetters = new Counter({
      name: 'saldo_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by reason, source topic and (reason invalid) the rule broken',
      labelNames: ['reason', 'topic', 'code'],
      registers,
    });
    this.commits = new Counter({
      name: 'saldo_commits_total',
      help: 'Committed task transactions',
      labelNames: ['task'],
      registers,
    });
    this.commitFailures = new Counter({
      name: 'saldo_commit_failures_total',
      help: 'Failed commits, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.commitLatency = new Histogram({
      name: 'saldo_commit_latency_seconds',
      help: 'Time to commit one task transaction (produce, offsets, end transaction, state flush)',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers,
    });
    this.restoredRecords = new Counter({
      name: 'saldo_restore_records_total',
      help: 'Changelog records restored, by store',
      labelNames: ['store'],
      registers,
    });
    this.restoreRemaining = new Gauge({
      name: 'saldo_restore_remaining_records',
      help: 'Changelog records left to restore, by task',
      labelNames: ['task'],
      registers,
    });
    this.tasks = new Gauge({
      name: 'saldo_tasks',
      help: 'Tasks of this instance by life-cycle state',
      labelNames: ['state'],
      registers,
    });
    this.punctuationErrors = new Counter({
      name: 'saldo_punctuation_errors_total',
      help: 'Punctuations that threw',
      labelNames: ['processor'],
      registers,
    });
    this.inputRecordsLostToRetention = new Counter({
      name: 'saldo_input_records_lost_to_retention_total',
      help: 'Input records deleted by the topic retention before this app processed them',
      labelNames: ['topic'],
      registers,
    });
  }

  /**
   * From now on, also keeps every commit latency observed (in ms) in the returned array, for exact
   * percentiles where the histogram's buckets are too coarse (the benchmark). Unbounded: not for
   * long-running instances.
   */
  recordCommitLatencies(): number[] {
    const latenciesMs: number[] = [];
    const histogram = this.commitLatency;
    const observe = histogram.observe.bind(histogram) as (value: number) => void;
    histogram.observe = ((value: number) => {
      latenciesMs.push(value * 1000);
      observe(value);
    }) as typeof histogram.observe;
    return latenciesMs;
  }
}
