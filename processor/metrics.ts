import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ProcessorStats } from './processor-stats.ts';
import { TopicTally } from './output-tally.ts';
import type { ScrapeGauges } from './scrape-gauges.ts';

/** The labels every series of an instance carries (Prometheus adds `instance` itself: not used here). */
export interface InstanceLabels {
  /** The application id. */
  app: string;
  /** The instance (SALDO_INSTANCE_ID, the pod's name in Kubernetes). */
  instance_id?: string;
  [label: string]: string | undefined;
}

const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
/** A topology step takes microseconds to milliseconds per record. */
const STEP_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05];
/** Event time to output: milliseconds when live, hours for old events replayed. */
const END_TO_END_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600];
const RESTORE_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800];
const REBALANCE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The engine's Prometheus metrics, named after Kafka Streams' (process-rate, commit-latency,
 * restore-*), one registry per app so that several apps can live in one process (tests). What
 * each means, and which panel or alert reads it: docs/metrics.md.
 */
export class EngineMetrics {
  readonly registry: Registry;
  readonly recordsProcessed: Counter<'task'>;
  readonly deadLetters: Counter<'reason' | 'topic' | 'code'>;
  readonly commits: Counter<'task'>;
  readonly commitFailures: Counter<'reason'>;
  readonly commitLatency: Histogram;
  readonly lastCommitTimestamp: Gauge;
  readonly transactionsAborted: Counter<'reason'>;
  readonly restoredRecords: Counter<'store'>;
  readonly restoreRemaining: Gauge<'task'>;
  readonly restoreDuration: Histogram;
  readonly tasks: Gauge<'state'>;
  readonly punctuationErrors: Counter<'processor'>;
  readonly inputRecordsLostToRetention: Counter<'topic'>;
  readonly rebalances: Counter;
  readonly rebalanceDuration: Histogram;
  /** Per topology step: records (plain tallies, counted at scrape time) and sampled latency. */
  readonly processorStats: ProcessorStats;
  readonly #recordsProduced: Counter<'topic'>;
  readonly #endToEndLatency: Histogram<'topic'>;
  /** Set once the app runs: the sources of consumer lag, standby lag and store sizes. */
  #scrape: ScrapeGauges | undefined;
  #restoreRate = { total: 0, at: 0, perSecond: 0 };

  constructor(defaultLabels: InstanceLabels | Record<string, string> = {}) {
    this.registry = new Registry();
    this.registry.setDefaultLabels(
      Object.fromEntries(Object.entries(defaultLabels).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
    );
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.recordsProcessed = counter('saldo_records_processed_total', 'Input records processed', ['task']);
    this.deadLetters = counter(
      'saldo_dead_letters_total',
      'Records sent to the dead-letter topic, by reason, source topic and (reason invalid) the rule broken',
      ['reason', 'topic', 'code'],
    );
    this.commits = counter('saldo_commits_total', 'Committed task transactions', ['task']);
    this.commitFailures = counter('saldo_commit_failures_total', 'Failed commits, by reason', ['reason']);
    this.commitLatency = new Histogram({
      name: 'saldo_commit_latency_seconds',
      help: 'Time to commit one task transaction (produce, offsets, end transaction, state flush)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.lastCommitTimestamp = new Gauge({
      name: 'saldo_last_commit_timestamp_seconds',
      help: 'Unix time of the last successful commit of any task (0: none yet)',
      aggregator: 'max',
      registers,
    });
    this.transactionsAborted = counter(
      'saldo_transactions_aborted_total',
      'Kafka transactions aborted (exactly-once commits that failed), by reason: fenced, error, unrecoverable',
      ['reason'],
    );
    this.restoredRecords = counter('saldo_restore_records_total', 'Changelog records restored, by store', [
      'store',
    ]);
    this.restoreRemaining = new Gauge({
      name: 'saldo_restore_remaining_records',
      help: 'Changelog records left to restore, by task',
      labelNames: ['task'],
      registers,
    });
    this.restoreDuration = new Histogram({
      name: 'saldo_restore_duration_seconds',
      help: "Time to restore one active task's stores from their changelogs",
      buckets: RESTORE_BUCKETS,
      registers,
    });
    this.tasks = new Gauge({
      name: 'saldo_tasks',
      help: 'Tasks of this instance by life-cycle state',
      labelNames: ['state'],
      registers,
    });
    this.punctuationErrors = counter('saldo_punctuation_errors_total', 'Punctuations that threw', [
      'processor',
    ]);
    this.inputRecordsLostToRetention = counter(
      'saldo_input_records_lost_to_retention_total',
      'Input records deleted by the topic retention before this app processed them',
      ['topic'],
    );
    this.rebalances = counter('saldo_rebalances_total', 'Group rebalances this member took part in');
    this.rebalanceDuration = new Histogram({
      name: 'saldo_rebalance_duration_seconds',
      help: "Time from this member's (re)join request to its new assignment",
      buckets: REBALANCE_BUCKETS,
      registers,
    });
    const processorRecords = new Counter<'processor'>({
      name: 'saldo_processor_records_total',
      help: 'Records handed to each topology step (processor)',
      labelNames: ['processor'],
      registers,
      collect: () => this.processorStats.report(),
    });
    const processorLatency = new Histogram<'processor'>({
      name: 'saldo_processor_latency_seconds',
      help: 'Time one topology step takes for one record, its forwards excluded (one record in 64 sampled)',
      labelNames: ['processor'],
      buckets: STEP_BUCKETS,
      registers,
    });
    this.processorStats = new ProcessorStats(processorRecords, processorLatency);
    this.#recordsProduced = counter('saldo_records_produced_total', 'Output records committed, by topic', [
      'topic',
    ]);
    this.#endToEndLatency = new Histogram<'topic'>({
      name: 'saldo_end_to_end_latency_seconds',
      help: "From a record's event time to the commit of its output, by output topic (one output in 32 sampled)",
      labelNames: ['topic'],
      buckets: END_TO_END_BUCKETS,
      registers,
    });
    this.#scrapeTimeGauges(registers);
  }

  /** The tally of one task's outputs to `topic` (one per task and sink topic, made when the task builds). */
  outputTally(topic: string): TopicTally {
    return new TopicTally(topic, this.#recordsProduced, this.#endToEndLatency);
  }

  /** From now on, consumer lag, standby lag and store sizes come from `gauges` at scrape time. */
  useScrapeGauges(gauges: ScrapeGauges): void {
    this.#scrape = gauges;
  }

  #scrapeTimeGauges(registers: Registry[]): void {
    const scrape = () => this.#scrape;
    new Gauge<'topic' | 'partition'>({
      name: 'saldo_consumer_lag_records',
      help: "Records between each active input partition's position and its end (read_committed)",
      labelNames: ['topic', 'partition'],
      registers,
      async collect() {
        const lags = await scrape()?.consumerLag();
        if (lags === undefined) return;
        this.reset();
        for (const { topic, partition, lag } of lags) this.set({ topic, partition: String(partition) }, lag);
      },
    });
    new Gauge<'task'>({
      name: 'saldo_standby_lag_records',
      help: "Changelog records each standby task has still to apply to be as current as its active task's changelogs",
      labelNames: ['task'],
      registers,
      async collect() {
        const lags = await scrape()?.standbyLag();
        if (lags === undefined) return;
        this.reset();
        for (const { task, lag } of lags) this.set({ task }, lag);
      },
    });
    new Gauge<'store' | 'task'>({
      name: 'saldo_state_store_size_bytes',
      help: 'Bytes on disk of each local store (active and standby tasks), refreshed every 30 s at most',
      labelNames: ['store', 'task'],
      registers,
      async collect() {
        const sizes = await scrape()?.storeSizes();
        if (sizes === undefined) return;
        this.reset();
        for (const { store, task, bytes } of sizes) this.set({ store, task }, bytes);
      },
    });
    const restoreRate = this.#restoreRate;
    const restored = this.restoredRecords;
    new Gauge({
      name: 'saldo_restore_records_per_second',
      help: 'Changelog records restored per second (active and standby tasks) since the previous scrape',
      registers,
      async collect() {
        const now = performance.now();
        const { values } = await restored.get();
        const total = values.reduce((sum, v) => sum + v.value, 0);
        const elapsedSeconds = (now - restoreRate.at) / 1000;
        // Scrapes closer than a second apart keep the previous rate: too short a window to say.
        if (restoreRate.at === 0 || elapsedSeconds >= 1) {
          restoreRate.perSecond =
            restoreRate.at === 0 ? 0 : Math.max(0, total - restoreRate.total) / elapsedSeconds;
          restoreRate.total = total;
          restoreRate.at = now;
        }
        this.set(restoreRate.perSecond);
      },
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
