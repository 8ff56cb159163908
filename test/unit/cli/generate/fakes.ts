/** Test doubles of the generator's ports: a clock that only moves when slept on, a sink that records. */
import type { TransactionRecord } from '../../../../topologies/transactions/transaction.ts';
import type { RunClock, TransactionSink } from '../../../../cli/generate/index.ts';

/** Time stands still unless the code under test sleeps (or a sink takes time to send). */
export class FakeClock implements RunClock {
  time = 0;
  readonly sleeps: number[] = [];

  now(): number {
    return this.time;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
}

/** Keeps every batch, with the fake time at which it was sent; each send may take `sendMs`. */
export class RecordingSink implements TransactionSink {
  readonly batches: Array<{ at: number; records: TransactionRecord[] }> = [];
  closed = false;
  readonly #clock: FakeClock | undefined;
  readonly #sendMs: number;

  constructor(clock?: FakeClock, sendMs = 0) {
    this.#clock = clock;
    this.#sendMs = sendMs;
  }

  get records(): TransactionRecord[] {
    return this.batches.flatMap((batch) => batch.records);
  }

  async send(records: readonly TransactionRecord[]): Promise<void> {
    this.batches.push({ at: this.#clock?.now() ?? 0, records: [...records] });
    if (this.#clock !== undefined) this.#clock.time += this.#sendMs;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** JSON with bigints as strings: to compare records byte for byte. */
export function recordsJson(records: readonly TransactionRecord[]): string {
  return JSON.stringify(records, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
}
