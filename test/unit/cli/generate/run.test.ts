import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ExpectedBalanceFold,
  MAX_EVENT_TIME_SPAN_MS,
  TrafficGenerator,
  TransactionSinkError,
  readExpectedBalances,
  runGenerator,
  silentProgress,
  type GeneratorRunOptions,
  type TransactionSink,
} from '../../../../cli/generate/index.ts';
import { FakeClock, RecordingSink, recordsJson } from './fakes.ts';

const START = Date.UTC(2026, 11, 1);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saldo-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(overrides: Partial<GeneratorRunOptions> = {}): GeneratorRunOptions {
  return {
    accounts: 200,
    seed: 5,
    startTime: START,
    topic: 'transactions',
    batchSize: 100,
    count: 1_234,
    ...overrides,
  };
}

describe('the generator run loop', () => {
  it('stops at the count, in batches of at most the batch size, sending what the model generates', async () => {
    const clock = new FakeClock();
    const sink = new RecordingSink();
    const summary = await runGenerator(options(), sink, { clock, progress: silentProgress });
    expect(sink.batches.map((batch) => batch.records.length)).toEqual([
      ...new Array<number>(12).fill(100),
      34,
    ]);
    expect(summary).toMatchObject({
      records: 1_234,
      stoppedBy: 'count',
      targetRate: null,
      expectedPath: null,
    });
    const model = new TrafficGenerator({ accounts: 200, seed: 5, startTime: START, spacingMs: 1 });
    const generated = Array.from({ length: 1_234 }, () => model.next().record);
    expect(recordsJson(sink.records)).toBe(recordsJson(generated));
    // Closing the sink is the caller's: it opened it.
    expect(sink.closed).toBe(false);
  });

  it('writes the expected balances of exactly what was sent, and counts what it sent', async () => {
    const sink = new RecordingSink();
    const expectedPath = join(dir, 'expected.jsonl');
    const summary = await runGenerator(options({ count: 20_000, batchSize: 500, expectedPath }), sink, {
      clock: new FakeClock(),
      progress: silentProgress,
    });
    const fold = new ExpectedBalanceFold();
    for (const record of sink.records) fold.apply(record);
    expect(await readExpectedBalances(expectedPath)).toEqual(fold.balances());
    const ids = new Set(sink.records.map((record) => record.transactionId));
    expect(summary.transactions).toBe(ids.size);
    expect(summary.duplicates).toBe(20_000 - ids.size);
    expect(Object.values(summary.byType).reduce((sum, count) => sum + count, 0)).toBe(ids.size);
    expect(summary.lateAuthorizations).toBeGreaterThan(0);
    expect(summary.accountsWithBalances).toBe(fold.balances().size);
    expect(summary.expectedPath).toBe(expectedPath);
    expect(summary.firstEventTime).toBe(new Date(START).toISOString());
    expect(summary.eventTimeSpanMs).toBe(19_999);
  });

  it('holds the target rate on the clock, sending about ten batches a second', async () => {
    const clock = new FakeClock();
    const sink = new RecordingSink(clock);
    const summary = await runGenerator(options({ count: 10_000, rate: 2_000, batchSize: 500 }), sink, {
      clock,
      progress: silentProgress,
    });
    expect(new Set(sink.batches.map((batch) => batch.records.length))).toEqual(new Set([200]));
    let sent = 0;
    for (const batch of sink.batches) {
      sent += batch.records.length;
      expect(batch.at).toBeGreaterThanOrEqual(((sent - 1) / 2_000) * 1_000 - 1e-9);
    }
    expect(summary.recordsPerSecond).toBeGreaterThan(1_980);
    expect(summary.recordsPerSecond).toBeLessThan(2_020);
    // Event time follows the rate: 0.5 ms apart.
    expect(summary.eventTimeSpanMs).toBe(Math.floor(9_999 * 0.5));
  });

  it('stops once the duration has passed', async () => {
    const clock = new FakeClock();
    const sink = new RecordingSink(clock);
    const summary = await runGenerator(options({ count: undefined, durationMs: 3_000, rate: 1_000 }), sink, {
      clock,
      progress: silentProgress,
    });
    expect(summary.stoppedBy).toBe('duration');
    expect(summary.records).toBeGreaterThanOrEqual(2_900);
    expect(summary.records).toBeLessThanOrEqual(3_100);
  });

  it('stops at the event-time span a run may take, whatever the duration', async () => {
    const clock = new FakeClock();
    const rate = 0.001; // a record every 1,000 s of event time
    const summary = await runGenerator(
      options({ count: undefined, durationMs: 1e12, rate }),
      new RecordingSink(clock),
      {
        clock,
        progress: silentProgress,
      },
    );
    expect(summary.stoppedBy).toBe('event-time span');
    expect(summary.records).toBe(Math.floor(MAX_EVENT_TIME_SPAN_MS / 1_000_000) + 1);
    expect(summary.eventTimeSpanMs).toBeLessThanOrEqual(MAX_EVENT_TIME_SPAN_MS);
  });

  it('stops after the batch in flight when aborted, and still writes the expected balances of what was sent', async () => {
    const interrupt = new AbortController();
    const sink = new RecordingSink();
    const send = sink.send.bind(sink);
    sink.send = async (records) => {
      await send(records);
      if (sink.batches.length === 3) interrupt.abort();
    };
    const expectedPath = join(dir, 'expected.jsonl');
    const summary = await runGenerator(options({ count: 100_000, expectedPath }), sink, {
      clock: new FakeClock(),
      progress: silentProgress,
      signal: interrupt.signal,
    });
    expect(summary.stoppedBy).toBe('interrupted');
    // The fourth batch was already generated while the third was sent: it goes out too.
    expect(summary.records).toBe(sink.records.length);
    expect(sink.batches.length).toBe(4);
    const fold = new ExpectedBalanceFold();
    for (const record of sink.records) fold.apply(record);
    expect(await readExpectedBalances(expectedPath)).toEqual(fold.balances());
  });

  it('fails with the sink, writing no expected balances', async () => {
    const failing: TransactionSink = {
      send: async () => {
        throw new TransactionSinkError('broker gone', { retriable: true });
      },
      close: async () => undefined,
    };
    const expectedPath = join(dir, 'expected.jsonl');
    await expect(
      runGenerator(options({ expectedPath }), failing, { clock: new FakeClock(), progress: silentProgress }),
    ).rejects.toThrow('broker gone');
    await expect(readExpectedBalances(expectedPath)).rejects.toThrow(/ENOENT/);
  });

  it('reports progress after each send, and finishes with every record', async () => {
    const updates: number[] = [];
    let finished = -1;
    await runGenerator(options(), new RecordingSink(), {
      clock: new FakeClock(),
      progress: {
        update: (snapshot) => updates.push(snapshot.sent),
        finish: (snapshot) => (finished = snapshot.sent),
      },
    });
    expect(updates).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000, 1_100, 1_200, 1_234]);
    expect(finished).toBe(1_234);
  });
});
