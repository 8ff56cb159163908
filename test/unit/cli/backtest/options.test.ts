import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestConfigFrom, isUsageError } from '../../../../cli/commands/backtest.ts';
import { ConfigError, MissingTopicsError } from '../../../../processor/index.ts';
import { DEFAULT_RULES_FILE, defaultRuleSetJson } from '../../../../topologies/fraud/rule-set.ts';

const NOW = Date.UTC(2026, 11, 7, 10, 15, 2);
const DAY = 86_400_000;
let dir: string;
let candidateFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saldo-backtest-options-'));
  candidateFile = join(dir, 'candidate.json');
  const json = defaultRuleSetJson() as { version: string; rules: Array<{ id: string; enabled: boolean }> };
  json.version = 'candidate-1';
  for (const rule of json.rules) if (rule.id === 'card-testing') rule.enabled = false;
  await writeFile(candidateFile, JSON.stringify(json));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const problemsOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('the options of saldo backtest', () => {
  it('compares the candidate with the rule set saldo run would use, over the whole input by default', () => {
    const config = backtestConfigFrom(
      {},
      { rules: candidateFile, from: '2026-12-05', to: '2026-12-07T00:00-06:00' },
      NOW,
    );
    expect(config.window).toEqual({
      fromMs: Date.UTC(2026, 11, 5),
      toMs: Date.UTC(2026, 11, 7, 6),
      warmupFromMs: undefined,
    });
    expect(config.production.file).toBe(DEFAULT_RULES_FILE);
    expect(config.candidate).toMatchObject({ file: candidateFile, version: 'candidate-1' });
    expect(config.outputTopic).toBe('fraud-alerts.backtest.20261207T101502Z');
    expect(config.topics.transactions).toBe('transactions');
    expect(config.settings.fraud.graceMs).toBe(5 * 60_000);
  });

  it('takes the production rule set from SALDO_RULES, topics from the environment, and a bounded warm-up', () => {
    const config = backtestConfigFrom(
      { SALDO_RULES: candidateFile, SALDO_ALERTS_TOPIC: 'alerts', SALDO_FRAUD: 'off' },
      { rules: DEFAULT_RULES_FILE, from: '1796000000000', to: '1796100000000', warmup: '31d' },
      NOW,
    );
    expect(config.production.version).toBe('candidate-1');
    expect(config.window.warmupFromMs).toBe(1_796_000_000_000 - 31 * DAY);
    expect(config.outputTopic).toBe('alerts.backtest.20261207T101502Z');
    // The fraud half is what a backtest compares: it runs whatever SALDO_FRAUD says.
    expect(config.settings.fraud.rules).toEqual(config.production.json);
  });

  it('reports every problem at once: missing and bad times, an empty window, a bad warm-up, a bad rule file', () => {
    expect(problemsOf(() => backtestConfigFrom({}, {}, NOW))).toMatch(
      /--from: required[\s\S]*--to: required[\s\S]*--rules: required/,
    );
    const message = problemsOf(() =>
      backtestConfigFrom(
        {},
        {
          rules: join(dir, 'missing.json'),
          from: '2026-12-07',
          to: '2026-12-07T00:00Z',
          warmup: 'a while',
          outputTopic: 'no spaces',
          fraudGrace: 'soon',
        },
        NOW,
      ),
    );
    expect(message).toContain('--from must be before --to');
    expect(message).toContain("--warmup: 'a while'");
    expect(message).toContain("--output-topic: 'no spaces'");
    expect(message).toContain("fraudGraceMs: 'soon'");
    expect(message).toContain('cannot read the rule set');
    expect(
      problemsOf(() =>
        backtestConfigFrom({}, { rules: candidateFile, from: '2026-12-01T10:00', to: '1' }, NOW),
      ),
    ).toMatch(/--from: '2026-12-01T10:00' is not an ISO-8601 time with its zone/);
  });

  it('says which failures are the operator’s to fix (exit code 2)', () => {
    expect(isUsageError(new ConfigError('bad'))).toBe(true);
    expect(isUsageError(new MissingTopicsError('input', ['transactions'], 'check'))).toBe(true);
    expect(isUsageError(new Error('broker down'))).toBe(false);
  });
});
