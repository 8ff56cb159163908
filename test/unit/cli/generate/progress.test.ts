import { describe, expect, it } from 'vitest';
import {
  formatProgressLine,
  formatSummary,
  progressReporter,
  type GenerateSummary,
} from '../../../../cli/generate/index.ts';
import { TRANSACTION_TYPES } from '../../../../topologies/transactions/transaction.ts';

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return { output: { isTTY, write: (text: string) => writes.push(text) }, writes };
}

describe('the progress line', () => {
  it('shows a bar, the share done, the count, the rate and the time left of a counted run', () => {
    expect(formatProgressLine({ sent: 26_000, count: 50_000, durationMs: undefined, elapsedMs: 5_221 })).toBe(
      '[#####-----]  52% 26,000/50,000 tx · 4,980 tx/s · ETA 5 s',
    );
  });

  it('measures a timed run by its duration', () => {
    expect(formatProgressLine({ sent: 1_000, count: undefined, durationMs: 10_000, elapsedMs: 2_500 })).toBe(
      '[###-------]  25% 1,000 tx · 400 tx/s · ETA 8 s',
    );
  });

  it('on a terminal, rewrites one line in place, at most every 100 ms, and ends it with the last', () => {
    const { output, writes } = recorder(true);
    const progress = progressReporter(output);
    for (let elapsedMs = 0; elapsedMs <= 1_000; elapsedMs += 10) {
      progress.update({ sent: elapsedMs * 5, count: 5_000, durationMs: undefined, elapsedMs });
    }
    progress.finish({ sent: 5_000, count: 5_000, durationMs: undefined, elapsedMs: 1_000 });
    expect(writes.length).toBe(11 + 1);
    for (const text of writes) expect(text.startsWith('\r')).toBe(true);
    expect(writes.slice(0, -1).some((text) => text.includes('\n'))).toBe(false);
    expect(writes.at(-1)).toMatch(/100% 5,000\/5,000 tx .*\n$/);
  });

  it('elsewhere, writes a plain line every 5 s', () => {
    const { output, writes } = recorder(false);
    const progress = progressReporter(output);
    for (let elapsedMs = 0; elapsedMs <= 20_000; elapsedMs += 100) {
      progress.update({ sent: elapsedMs, count: undefined, durationMs: 20_000, elapsedMs });
    }
    progress.finish({ sent: 20_000, count: undefined, durationMs: 20_000, elapsedMs: 20_000 });
    expect(writes.length).toBe(4 + 1);
    for (const text of writes) expect(text).toMatch(/^generate: \[.*\n$/);
    expect(writes.join('')).not.toContain('\r');
  });
});

describe('the summary table', () => {
  it('shows the counts of the run, every type and where the expected balances went', () => {
    const byType = Object.fromEntries(
      TRANSACTION_TYPES.map((type, i) => [type, (i + 1) * 1_000]),
    ) as GenerateSummary['byType'];
    const summary: GenerateSummary = {
      topic: 'transactions',
      seed: 7,
      accounts: 1_000,
      accountsWithBalances: 990,
      accountsBelowZero: 3,
      records: 50_000,
      transactions: 49_500,
      byType,
      duplicates: 500,
      lateAuthorizations: 160,
      historyRecords: 0,
      firstEventTime: '2026-12-01T00:00:00.000Z',
      lastEventTime: '2026-12-01T00:00:10.000Z',
      eventTimeSpanMs: 10_000,
      elapsedMs: 10_020,
      recordsPerSecond: 4_990,
      targetRate: 5_000,
      stoppedBy: 'count',
      expectedPath: 'expected.jsonl',
    };
    const table = formatSummary(summary);
    expect(table).toMatch(/^records +50,000 in 10\.0 s \(4,990 tx\/s, target 5,000 tx\/s\)$/m);
    expect(table).toMatch(/^duplicates +500$/m);
    expect(table).toMatch(/^late authorizations +160$/m);
    expect(table).toMatch(/^accounts +1,000 \(990 with balances, 3 below zero\)$/m);
    expect(table).toMatch(/^expected balances +expected\.jsonl$/m);
    for (const type of TRANSACTION_TYPES) {
      expect(table).toMatch(new RegExp(`^  ${type} +${byType[type].toLocaleString('en-US')}$`, 'm'));
    }
  });
});
