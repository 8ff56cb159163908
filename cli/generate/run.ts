/**
 * The generator's loop: generate a batch → wait for the rate → send it (while the next batch is
 * generated) → report progress, until the count, the duration or the event-time span is reached
 * or the caller aborts; then write the expected balances of exactly what was sent.
 */
import { ExpectedBalanceFold, type ExpectedBalances } from './expected.ts';
import { writeExpectedBalances } from './expected-file.ts';
import { RatePacer, type RunClock } from './pacer.ts';
import type { ProgressReporter, ProgressSnapshot } from './progress.ts';
import type { TransactionSink } from './sink.ts';
import { EmissionTally, type GenerateSummary, type StopReason } from './summary.ts';
import { TrafficGenerator, recordsWithinSpan, spacingMsFor } from './traffic.ts';
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
}

export interface GeneratorRunDeps {
  clock: RunClock;
  progress: ProgressReporter;
  /** Aborting stops the run after the batch being sent; the expected balances are still written. */
  signal?: AbortSignal;
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
  const traffic = new TrafficGenerator({
    accounts: options.accounts,
    seed: options.seed,
    startTime: options.startTime,
    spacingMs,
  });
  const fold = new ExpectedBalanceFold();
  const tally = new EmissionTally();
  const pacer = new RatePacer(options.rate, clock);
  const startedAt = clock.now();
  const spanLimit = recordsWithinSpan(spacingMs);
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

  let stoppedBy = stopReason();
  while (stoppedBy === undefined) {
    const size = Math.min(batchLimit, (options.count ?? Infinity) - generated, spanLimit - generated);
    const batch: TransactionRecord[] = new Array<TransactionRecord>(size);
    for (let i = 0; i < size; i++) {
      const emission = traffic.next();
      tally.count(emission);
      fold.apply(emission.record);
      batch[i] = emission.record;
    }
    generated += size;
    await pacer.admit(size);
    if (sending !== undefined) await sending;
    sending = sink.send(batch).then(() => {
      sent += batch.length;
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
  return summarize(options, tally, balances, { elapsedMs, stoppedBy });
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
  };
}
