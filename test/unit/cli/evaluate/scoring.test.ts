import { describe, expect, it } from 'vitest';
import { evaluateConfigFrom } from '../../../../cli/commands/evaluate.ts';
import {
  evaluateAlerts,
  evaluationAsJson,
  formatEvaluation,
  type ScoredAlert,
  type ScoredLabel,
} from '../../../../cli/evaluate/index.ts';
import { ConfigError } from '../../../../processor/index.ts';

const labels: ScoredLabel[] = [
  { pattern: 'card-testing', accountId: 'acct-1', transactionIds: ['t1', 't2', 't3', 't4', 't5'] },
  { pattern: 'card-testing', accountId: 'acct-2', transactionIds: ['u1', 'u2', 'u3', 'u4', 'u5'] },
  { pattern: 'overdraft', accountId: 'acct-3', transactionIds: ['v1'] },
];

let serial = 0;
function alert(ruleId: string, accountId: string, transactionIds: string[], alertId?: string): ScoredAlert {
  serial += 1;
  return { alertId: alertId ?? `alert-${serial}`, ruleId, accountId, transactionIds };
}

describe('scoring alerts against labels', () => {
  it('counts an alert as a true positive when it shares a transaction with a label of its rule on its account', () => {
    const result = evaluateAlerts(
      [
        alert('card-testing', 'acct-1', ['t4', 't5']),
        alert('card-testing', 'acct-2', ['u5']),
        alert('overdraft', 'acct-3', ['v1']),
      ],
      labels,
    );
    expect(result.rules['card-testing']).toMatchObject({ precision: 1, recall: 1, alerts: 2, labelled: 2 });
    expect(result.overall).toMatchObject({ precision: 1, recall: 1, alerts: 3, labelled: 3 });
  });

  it('gives low precision to a rule set that alerts on everything', () => {
    const everything: ScoredAlert[] = [];
    for (let i = 0; i < 200; i++) everything.push(alert('card-testing', `acct-${i % 50}`, [`x${i}`]));
    everything.push(alert('card-testing', 'acct-1', ['t1']), alert('card-testing', 'acct-2', ['u1']));
    const result = evaluateAlerts(everything, labels);
    expect(result.rules['card-testing']?.recall).toBe(1);
    expect(result.rules['card-testing']?.precision).toBeLessThan(0.02);
  });

  it('lowers recall for a missed incident', () => {
    const result = evaluateAlerts([alert('card-testing', 'acct-1', ['t1'])], labels);
    expect(result.rules['card-testing']).toMatchObject({ precision: 1, recall: 0.5 });
    expect(result.rules.overdraft).toMatchObject({ precision: null, recall: 0, alerts: 0, labelled: 1 });
    expect(result.overall.recall).toBeCloseTo(1 / 3);
  });

  it('counts duplicates of one alert id once', () => {
    const once = alert('card-testing', 'acct-9', ['z1'], 'same-id');
    const result = evaluateAlerts(
      [once, { ...once }, { ...once }, alert('card-testing', 'acct-1', ['t2'])],
      labels,
    );
    expect(result.rules['card-testing']).toMatchObject({ alerts: 2, truePositives: 1, precision: 0.5 });
  });

  it('does not credit an alert of another rule, or on another account, with a label', () => {
    const result = evaluateAlerts(
      [alert('velocity-burst', 'acct-1', ['t1', 't2']), alert('card-testing', 'acct-9', ['t1'])],
      labels,
    );
    expect(result.rules['velocity-burst']).toMatchObject({
      precision: 0,
      recall: null,
      alerts: 1,
      labelled: 0,
    });
    expect(result.rules['card-testing']).toMatchObject({ precision: 0, recall: 0 });
  });

  it('lists the rules asked for even with neither alerts nor labels', () => {
    expect(evaluateAlerts([], [], ['high-risk-mcc']).rules['high-risk-mcc']).toEqual({
      precision: null,
      recall: null,
      alerts: 0,
      labelled: 0,
      truePositives: 0,
      found: 0,
    });
  });
});

describe('the evaluation report', () => {
  const result = evaluateAlerts(
    [alert('card-testing', 'acct-1', ['t1']), alert('card-testing', 'acct-7', ['q'])],
    labels,
  );

  it('prints one JSON object: precision, recall, alerts and labelled per rule and overall', () => {
    expect(JSON.parse(evaluationAsJson(result))).toEqual({
      rules: {
        'card-testing': { precision: 0.5, recall: 0.5, alerts: 2, labelled: 2 },
        overdraft: { precision: null, recall: 0, alerts: 0, labelled: 1 },
      },
      overall: { precision: 0.5, recall: 1 / 3, alerts: 2, labelled: 3 },
    });
  });

  it('prints a table for people, overall last', () => {
    const table = formatEvaluation(result);
    expect(table).toMatch(/^rule +precision +recall +alerts/);
    expect(table).toMatch(/^card-testing +50\.0% +50\.0% +2 +1 +2 +1$/m);
    expect(table).toMatch(/^overdraft +— +0\.0% +0 +0 +1 +0$/m);
    expect(table.split('\n').at(-1)).toMatch(/^overall +50\.0% +33\.3% +2/);
  });
});

describe('saldo evaluate options', () => {
  it('read the topic, brokers and registry from the environment, flags first', () => {
    const env = { SALDO_ALERTS_TOPIC: 'alerts-env', KAFKA_BROKERS: 'k:1', SCHEMA_REGISTRY_URL: 'http://r:1' };
    expect(evaluateConfigFrom(env, { labels: 'l.jsonl' })).toEqual({
      labelsPath: 'l.jsonl',
      topic: 'alerts-env',
      brokers: ['k:1'],
      registryUrl: 'http://r:1',
      timeoutMs: 60_000,
      json: false,
    });
    expect(evaluateConfigFrom(env, { labels: 'l', topic: 't', timeout: '5s', json: true })).toMatchObject({
      topic: 't',
      timeoutMs: 5_000,
      json: true,
    });
    expect(evaluateConfigFrom({}, { labels: 'l' }).topic).toBe('fraud-alerts');
  });

  it('report every problem at once, by flag', () => {
    expect(() => evaluateConfigFrom({}, { labels: 'l', topic: 'bad topic', timeout: 'soon' })).toThrow(
      ConfigError,
    );
    expect(() => evaluateConfigFrom({}, { labels: 'l', topic: 'bad topic', timeout: 'soon' })).toThrow(
      /--topic \(SALDO_ALERTS_TOPIC\)[\s\S]*--timeout: must be a duration/,
    );
  });
});
