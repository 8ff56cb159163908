import { describe, expect, it } from 'vitest';
import {
  AlertTally,
  backtestAsJson,
  formatBacktest,
  ruleChanges,
  type RuleSetSummary,
} from '../../../../cli/backtest/report.ts';

const HOUR = 3_600_000;
const FROM = Date.UTC(2026, 11, 5);
const TO = FROM + 48 * HOUR;

const rule = (id: string, fields: Record<string, unknown> = {}) => ({
  id,
  version: 1,
  enabled: true,
  severity: 'HIGH',
  cooldown: '1h',
  parameters: { threshold: 5, nested: { a: 1, b: 2 } },
  ...fields,
});
const ruleSet = (version: string, rules: unknown[]) => ({ version, currency: 'MXN', rules });

const production: RuleSetSummary = {
  file: 'default-rules.json',
  version: 'p1',
  json: ruleSet('p1', [
    rule('velocity-burst'),
    rule('card-testing'),
    rule('overdraft'),
    rule('high-risk-mcc'),
  ]),
};
const candidate: RuleSetSummary = {
  file: 'candidate.json',
  version: 'c1',
  json: ruleSet('c1', [
    // Same configuration, keys in another order.
    Object.fromEntries(
      Object.entries(
        rule('velocity-burst', { parameters: { nested: { b: 2, a: 1 }, threshold: 5 } }),
      ).reverse(),
    ),
    rule('card-testing', { enabled: false }),
    rule('overdraft', { parameters: { threshold: 3, nested: { a: 1, b: 2 } } }),
    rule('rapid-drain'),
  ]),
};

describe('the backtest tally', () => {
  it('processes the warm-up and the window, and stops at --to', () => {
    const tally = new AlertTally({ fromMs: FROM, toMs: TO, warmupFromMs: FROM - 24 * HOUR });
    const times = [FROM - 25 * HOUR, FROM - 24 * HOUR, FROM - 1, FROM, TO - 1, TO, TO + HOUR];
    expect(times.map((t) => tally.admits(t))).toEqual([false, true, true, true, true, false, false]);
    const report = tally.report({ production, candidate, outputTopic: 'out', written: 0, deadLetters: 0 });
    expect(report.transactions).toEqual({ read: 7, processed: 4, inWindow: 2 });
    expect(report.warmupFrom).toBe('2026-12-04T00:00:00.000Z');
  });

  it('without a warm-up bound, processes everything before --to', () => {
    const tally = new AlertTally({ fromMs: FROM, toMs: TO, warmupFromMs: undefined });
    expect([0, FROM - 90 * 24 * HOUR, TO].map((t) => tally.admits(t))).toEqual([true, true, false]);
    const report = tally.report({ production, candidate, outputTopic: 'out', written: 0, deadLetters: 0 });
    expect(report.warmupFrom).toBeNull();
  });

  it('counts alerts per rule and run only when their transaction is in the window', () => {
    const tally = new AlertTally({ fromMs: FROM, toMs: TO, warmupFromMs: undefined });
    const counted = [
      tally.count('production', { ruleId: 'card-testing', eventTime: FROM - 1 }),
      tally.count('production', { ruleId: 'card-testing', eventTime: FROM }),
      tally.count('production', { ruleId: 'card-testing', eventTime: FROM + HOUR }),
      tally.count('production', { ruleId: 'overdraft', eventTime: FROM + HOUR }),
      tally.count('candidate', { ruleId: 'overdraft', eventTime: FROM + HOUR }),
      tally.count('candidate', { ruleId: 'overdraft', eventTime: TO - 1 }),
      tally.count('candidate', { ruleId: 'overdraft', eventTime: TO }),
      tally.count('candidate', { ruleId: 'rapid-drain', eventTime: FROM }),
    ];
    expect(counted).toEqual([false, true, true, true, true, true, false, true]);
    const report = tally.report({ production, candidate, outputTopic: 'out', written: 3, deadLetters: 1 });
    expect(report.rules).toEqual({
      'velocity-burst': { production: 0, candidate: 0, difference: 0, change: 'same' },
      'card-testing': { production: 2, candidate: 0, difference: -2, change: 'disabled' },
      overdraft: { production: 1, candidate: 2, difference: 1, change: 'changed' },
      'high-risk-mcc': { production: 0, candidate: 0, difference: 0, change: 'removed' },
      'rapid-drain': { production: 0, candidate: 1, difference: 1, change: 'added' },
    });
    expect(report.totals).toEqual({ production: 3, candidate: 3, difference: 0 });
  });

  it('reports as JSON and as a table', () => {
    const tally = new AlertTally({ fromMs: FROM, toMs: TO, warmupFromMs: FROM - 31 * 24 * HOUR });
    tally.admits(FROM + 1);
    tally.count('production', { ruleId: 'card-testing', eventTime: FROM + 1 });
    tally.count('candidate', { ruleId: 'overdraft', eventTime: FROM + 1 });
    tally.count('candidate', { ruleId: 'overdraft', eventTime: FROM + 2 });
    const report = tally.report({
      production,
      candidate,
      outputTopic: 'fa.backtest.x',
      written: 2,
      deadLetters: 0,
    });
    const json = JSON.parse(backtestAsJson(report)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      'from',
      'to',
      'warmupFrom',
      'transactions',
      'deadLetters',
      'outputTopic',
      'written',
      'production',
      'candidate',
      'rules',
      'totals',
    ]);
    expect(json.candidate).toEqual({ rules: 'candidate.json', version: 'c1' });
    expect(formatBacktest(report)).toBe(
      [
        'backtest 2026-12-05T00:00:00.000Z → 2026-12-07T00:00:00.000Z, warm-up from 2026-11-04T00:00:00.000Z',
        '  transactions: 1 read, 1 processed, 1 in the window; 0 dead letter(s)',
        '  production rules: default-rules.json (p1)',
        '  candidate rules:  candidate.json (c1)',
        '  candidate alerts: 2 written to fa.backtest.x',
        '',
        'rule            production  candidate  difference  change',
        'velocity-burst           0          0           0',
        'card-testing             1          0          -1  disabled',
        'overdraft                0          2          +2  changed',
        'high-risk-mcc            0          0           0  removed',
        'rapid-drain              0          0           0  added',
        'total                    1          2          +1',
        '',
      ].join('\n'),
    );
  });
});

describe('how a candidate changes a rule', () => {
  it('tells a rule enabled again from one disabled, and a disabled rule changed from one unchanged', () => {
    const before = ruleSet('1', [rule('a', { enabled: false }), rule('b', { enabled: false }), rule('c')]);
    const after = ruleSet('2', [
      rule('a'),
      rule('b', { enabled: false, severity: 'LOW' }),
      rule('c', { cooldown: '2h' }),
    ]);
    expect([...ruleChanges(before, after)]).toEqual([
      ['a', 'enabled'],
      ['b', 'changed'],
      ['c', 'changed'],
    ]);
  });
});
