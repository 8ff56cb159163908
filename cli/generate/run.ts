/**
 * The generator's loop: generate a batch → wait for the rate → send it (while the next batch is
 * generated) → report progress, until the count, the duration or the event-time span is reached
 * or the caller aborts; then write the expected balances of exactly what was sent (and the labels:
 * the fraud rules' incidents in it). With realistic event time, the accounts' limits go first,
 * then the history as fast as the sink takes it, then the live traffic at the rate.
 */
import { ExpectedBalanceFold, type ExpectedBalances } from './expected.ts';
import { writeExpectedBalances } from './expected-file.ts';
import { RatePacer, type RunClock } from './pacer.ts';
import type { ProgressReporter, ProgressSnapshot } from './progress.ts';
import type { LimitSink, TransactionSink } from './sink.ts';
import { EmissionTally, fraudSummary, type GenerateSummary, type StopReason } from './summary.ts';
import { TrafficGenerator, recordsWithinSpan, spacingMsFor, type RealisticOptions } from './traffic.ts';
import { writeLabels } from './labels-file.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';

export interface GeneratorRunOptions {
  accounts: number;
  /** Stop after this many records (duplicates included); at least one of count and durationMs. */
  count?: number;
  /** Stop once this much wall-clock time has passed. */
  durationMs?: number;
  /** Records per second; as fast as the sink takes them when absent. */
  rate?: number;
  seed: number;
  /** Event time of the first record, ms since the epoch. */
  startTime: number;
  topic: string;
  /** Where to write the expected balances (JSON Lines); not written when absent. */
  expectedPath?: string;
  /** The most records per send. */
  batchSize: number;
  /**
   * Realistic event time (the live traffic spread over `spanMs` from startTime), history, limits
   * and fraud; event time follows emission when absent. The records the span holds are the count,
   * or rate × duration.
   */
  realistic?: Omit<RealisticOptions, 'records'>;
  /** Where to write the labels (JSON Lines); realistic runs only. */
  labelsPath?: string;
}

export interface GeneratorRunDeps {
  clock: RunClock;
  progress: ProgressReporter;
  /** Aborting stops the run after the batch being sent; the expected balances are still written. */
  signal?: AbortSignal;
  /** Where the accounts' limits go (realistic runs); not published when absent. */
  limits?: LimitSink;
}

/** The live records a realistic run spreads over its span: the count, or what the rate sends in the duration. */
export function realisticRecords(
  options: Pick<GeneratorRunOptions, 'count' | 'rate' | 'durationMs'>,
): number {
  if (options.count !== undefined) return options.count;
  if (options.rate !== undefined && options.durationMs !== undefined) {
    return Math.max(1, Math.round((options.rate * options.durationMs) / 1_000));
  }
  throw new RangeError('realistic event time needs a count, or a rate and a duration');
}

/** At a target rate, about this many sends per second keep the flow smooth. */
const SENDS_PER_SECOND = 10;

export async function runGenerator(
  options: GeneratorRunOptions,
  sink: TransactionSink,
  deps: GeneratorRunDeps,
): Promise<GenerateSummary> {
  const { clock, progress, signal } = deps;
  const spacingMs = spacingMsFor(options.rate);
  const realistic =
    options.realistic === undefined
      ? undefined
      : { ...options.realistic, records: realisticRecords(options) };
  const traffic = new TrafficGenerator({
    accounts: options.accounts,
    seed: options.seed,
    startTime: options.startTime,
    spacingMs,
    realistic,
  });
  const fold = new ExpectedBalanceFold();
  const tally = new EmissionTally();
  const pacer = new RatePacer(options.rate, clock);
  const startedAt = clock.now();
  const spanLimit = realistic === undefined ? recordsWithinSpan(spacingMs) : realistic.records;
  const batchLimit =
    options.rate === undefined
      ? options.batchSize
      : Math.max(1, Math.min(options.batchSize, Math.ceil(options.rate / SENDS_PER_SECOND)));
  let generated = 0;
  let sent = 0;
  let sending: Promise<void> | undefined;
  const snapshot = (): ProgressSnapshot => ({
    sent,
    count: options.count,
    durationMs: options.durationMs,
    elapsedMs: clock.now() - startedAt,
  });

  const stopReason = (): StopReason | undefined => {
    if (signal?.aborted === true) return 'interrupted';
    if (options.count !== undefined && generated >= options.count) return 'count';
    if (options.durationMs !== undefined && clock.now() - startedAt >= options.durationMs) return 'duration';
    if (generated >= spanLimit) return 'event-time span';
    return undefined;
  };

  const limitUpdates = traffic.limitUpdates();
  if (deps.limits !== undefined && limitUpdates.length > 0) {
    for (let at = 0; at < limitUpdates.length; at += options.batchSize) {
      await deps.limits.send(limitUpdates.slice(at, at + options.batchSize));
    }
  }

  let stoppedBy = stopReason();
  while (stoppedBy === undefined) {
    const history = traffic.inHistory;
    const live = Math.min(batchLimit, (options.count ?? Infinity) - generated, spanLimit - generated);
    const batch: TransactionRecord[] = [];
    let size = 0;
    while (history ? batch.length < options.batchSize && traffic.inHistory : size < live) {
      const emission = traffic.next();
      tally.count(emission);
      fold.apply(emission.record);
      batch.push(emission.record);
      if (emission.delivery !== 'history') size += 1;
    }
    generated += size;
    // History goes as fast as the sink takes it; the live traffic at the rate.
    await pacer.admit(size);
    if (sending !== undefined) await sending;
    sending = sink.send(batch).then(() => {
      sent += size;
      progress.update(snapshot());
    });
    // Awaited before the next send; until then, a failure must not count as unhandled.
    sending.catch(() => undefined);
    stoppedBy = stopReason();
  }
  if (sending !== undefined) await sending;
  const elapsedMs = clock.now() - startedAt;
  progress.finish(snapshot());

  const balances = fold.balances();
  if (options.expectedPath !== undefined) await writeExpectedBalances(options.expectedPath, balances);
  const labels = traffic.labels();
  if (options.labelsPath !== undefined && realistic !== undefined)
    await writeLabels(options.labelsPath, labels);
  const summary = summarize(options, tally, balances, { elapsedMs, stoppedBy });
  if (realistic === undefined) return summary;
  return {
    ...summary,
    limitRecords: deps.limits === undefined ? 0 : limitUpdates.length,
    fraud: fraudSummary(traffic.injected(), labels),
    labelsPath: options.labelsPath ?? null,
  };
}

function summarize(
  options: GeneratorRunOptions,
  tally: EmissionTally,
  balances: ExpectedBalances,
  run: { elapsedMs: number; stoppedBy: StopReason },
): GenerateSummary {
  let accountsBelowZero = 0;
  for (const currencies of balances.values()) {
    if (currencies.some((balance) => balance.availableMinor < 0n)) accountsBelowZero += 1;
  }
  const first = tally.records > 0 ? tally.firstEventTime : options.startTime;
  const last = tally.records > 0 ? tally.lastEventTime : options.startTime;
  return {
    topic: options.topic,
    seed: options.seed,
    accounts: options.accounts,
    accountsWithBalances: balances.size,
    accountsBelowZero,
    records: tally.records,
    transactions: tally.transactions,
    byType: { ...tally.byType },
    duplicates: tally.duplicates,
    lateAuthorizations: tally.lateAuthorizations,
    firstEventTime: new Date(first).toISOString(),
    lastEventTime: new Date(last).toISOString(),
    eventTimeSpanMs: last - first,
    elapsedMs: Math.round(run.elapsedMs),
    recordsPerSecond: run.elapsedMs > 0 ? Math.round(tally.records / (run.elapsedMs / 1_000)) : 0,
    targetRate: options.rate ?? null,
    stoppedBy: run.stoppedBy,
    expectedPath: options.expectedPath ?? null,
    historyRecords: tally.history,
  };
}
