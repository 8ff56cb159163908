import type { Counter, Histogram } from 'prom-client';

/**
 * One topology step's tally, shared by every task of an app. The hot path only adds to a plain
 * number: a prom-client call per record (a label object, a hash) would cost more than many
 * processors do. The counter gets the tally at scrape time (ProcessorStats.report).
 */
export interface ProcessorTally {
  readonly processor: string;
  /** Records the step has been handed (processed, or failed into a dead letter). */
  records: number;
  /** Of them, those already added to saldo_processor_records_total. */
  reported: number;
  /** Observes one sampled latency, in seconds. */
  readonly observeLatency: (seconds: number) => void;
}

/** One record in LATENCY_SAMPLE_EVERY has its step timed (a power of two: a mask, no division). */
export const LATENCY_SAMPLE_EVERY = 64;
const SAMPLE_MASK = LATENCY_SAMPLE_EVERY - 1;

/**
 * Counts the record about to be processed; true when it is the one of LATENCY_SAMPLE_EVERY whose
 * latency is to be observed (the first record of each step is).
 */
export function countAndSample(tally: ProcessorTally): boolean {
  return (tally.records++ & SAMPLE_MASK) === 0;
}

/** The tallies of an app's topology steps, by processor name, and their copy into prom-client. */
export class ProcessorStats {
  readonly #tallies = new Map<string, ProcessorTally>();
  readonly #records: Counter<'processor'>;
  readonly #latency: Histogram<'processor'>;

  constructor(records: Counter<'processor'>, latency: Histogram<'processor'>) {
    this.#records = records;
    this.#latency = latency;
  }

  /** The tally of `processor` (the same object for every task: built once per task, not per record). */
  tally(processor: string): ProcessorTally {
    let tally = this.#tallies.get(processor);
    if (tally === undefined) {
      const latency = this.#latency.labels({ processor });
      tally = {
        processor,
        records: 0,
        reported: 0,
        observeLatency: (seconds) => latency.observe(seconds),
      };
      this.#tallies.set(processor, tally);
    }
    return tally;
  }

  /** Adds what each step processed since the last report to its counter (at scrape time). */
  report(): void {
    for (const tally of this.#tallies.values()) {
      const added = tally.records - tally.reported;
      if (added > 0) this.#records.inc({ processor: tally.processor }, added);
      else if (tally.reported === 0) this.#records.inc({ processor: tally.processor }, 0);
      tally.reported = tally.records;
    }
  }
}
