import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  generateCommandAction,
  readExpectedBalances,
  type GenerateSummary,
} from '../../../../cli/generate/index.ts';
import { ConfigError } from '../../../../processor/index.ts';
import { FakeClock } from './fakes.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saldo-generate-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: {
      env: {},
      stdout: { write: (text: string) => out.push(text) },
      stderr: { isTTY: false, write: (text: string) => err.push(text) },
      clock: new FakeClock(),
      wallClock: () => Date.UTC(2026, 11, 1),
      signal: new AbortController().signal,
    },
  };
}

describe('saldo generate, as the command runs it', () => {
  it('runs dry without Kafka, prints the summary as JSON and writes the expected balances', async () => {
    const { out, err, io: deps } = io();
    const expected = join(dir, 'expected.jsonl');
    const summary = await generateCommandAction(
      { accounts: '50', count: '2000', seed: '3', expected, json: true, dryRun: true },
      deps,
    );
    expect(JSON.parse(out.join('')) as GenerateSummary).toEqual(summary);
    expect(summary).toMatchObject({ seed: 3, accounts: 50, expectedPath: expected, stoppedBy: 'count' });
    // 2,000 live records after the history.
    expect(summary.records - summary.historyRecords).toBe(2_000);
    expect(summary.historyRecords).toBeGreaterThan(0);
    expect((await readExpectedBalances(expected)).size).toBe(summary.accountsWithBalances);
    expect(err[0]).toMatch(
      /^saldo generate: 2,000 records \(50 accounts, as fast as possible, seed 3; event time over 5d from .+, 120 days of history, fraud 0\.01\) to nowhere \(dry run\)\n$/,
    );
  });

  it('prints the summary as a table without --json', async () => {
    const { out, io: deps } = io();
    await generateCommandAction({ count: '100', dryRun: true }, deps);
    expect(out.join('')).toMatch(/^records +[\d,]+ in/m);
    expect(out.join('')).toMatch(/^labels +\d+ \(\d+ incidental\) in \(not written/m);
  });

  it('refuses invalid options before generating anything', async () => {
    const { out, err, io: deps } = io();
    await expect(generateCommandAction({ count: 'many', dryRun: true }, deps)).rejects.toBeInstanceOf(
      ConfigError,
    );
    expect(out).toEqual([]);
    expect(err).toEqual([]);
  });
});
