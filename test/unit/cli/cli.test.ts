import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const saldo = (...args: string[]) =>
  run(process.execPath, ['cli/main.ts', ...args], { env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1' } });

describe('the saldo command', () => {
  it('describes a topology with its changelogs', async () => {
    const { stdout } = await saldo(
      'describe',
      '--topology',
      'counting',
      '--app-id',
      'balances',
      '--input',
      'tx',
      '--output',
      'totals',
    );
    expect(stdout).toContain("Topology of 'balances'");
    expect(stdout).toContain('Source: transactions (topics: [tx]');
    expect(stdout).toContain('totals (key-value) changelog: balances-totals-changelog');
  });

  it('refuses to run with invalid configuration, naming every problem, before touching Kafka', async () => {
    const failure = await saldo('run', '--app-id', 'bad id', '--commit-interval-ms', 'soon').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/applicationId/);
    expect(failure?.stderr).toMatch(/commitIntervalMs/);
  });

  it('backtest: explains the window and warm-up, and refuses bad options with exit code 2 before touching Kafka', async () => {
    const { stdout } = await saldo('backtest', '--help');
    expect(stdout).toContain('--warmup <duration>');
    expect(stdout).toMatch(/only when the transaction that raised them is in \[--from, --to\)/);
    const failure = await saldo('backtest', '--from', 'yesterday', '--to', '2026-12-01').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toMatch(/--from: 'yesterday' is not an ISO-8601 time/);
    expect(failure?.stderr).toMatch(/--rules: required/);
  });

  it('refuses an application server the other instances could not reach, before touching Kafka', async () => {
    const failure = await saldo('run', '--application-server', '0.0.0.0:8080').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/applicationServer: '0\.0\.0\.0:8080': 0\.0\.0\.0 is every interface/);
  });

  it('rejects an unknown topology', async () => {
    const failure = await saldo('describe', '--topology', 'nope').then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure?.stderr).toMatch(/unknown topology 'nope'/);
  });
});
