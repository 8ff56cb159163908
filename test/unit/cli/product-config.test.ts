import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RULES_FILE } from '../../../topologies/fraud/rule-set.ts';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../processor/durations.ts';
import { streamsConfigFrom } from '../../../cli/env-config.ts';
import { productConfigFrom, productSettingsOf } from '../../../cli/product-config.ts';
import { ConfigError } from '../../../processor/index.ts';

const DAY = 86_400_000;

describe('durations as operators write them', () => {
  it('reads d, h, m, s, ms and plain milliseconds, and writes them back', () => {
    expect(parseDuration('7d')).toBe(7 * DAY);
    expect(parseDuration('36h')).toBe(36 * 3_600_000);
    expect(parseDuration('90m')).toBe(5_400_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1500')).toBe(1_500);
    for (const bad of ['7 days', '-1d', '1.5h', 'soon', '']) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(7 * DAY)).toBe('7d');
    expect(formatDuration(5_400_000)).toBe('90m');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});

describe('the product configuration', () => {
  it('has the contract defaults: the four topics, 7 days of hold, 30 days of dedup, the default rule set', () => {
    const config = productConfigFrom({}, {});
    expect(config.topics).toEqual({
      transactions: 'transactions',
      balances: 'balances',
      accountLimits: 'account-limits',
      fraudAlerts: 'fraud-alerts',
    });
    expect(config.rulesFile).toBe(DEFAULT_RULES_FILE);
    expect(config.ruleSet.rules.map((rule) => rule.id)).toContain('limit-breach');
    expect(config.fraudGraceMs).toBe(5 * 60_000);
    expect(productSettingsOf(config).fraud).not.toBeNull();
    expect(productSettingsOf(productConfigFrom({}, { fraud: false })).fraud).toBeNull();
    expect(productSettingsOf(productConfigFrom({ SALDO_FRAUD: 'off' }, {})).fraud).toBeNull();
    expect(config.holdExpiryMs).toBe(7 * DAY);
    expect(config.dedupRetentionMs).toBe(30 * DAY);
    expect(config.maxEventTimeAheadMs).toBe(DAY);
    expect(config.redisKeyPrefix).toBe('saldo:');
  });

  it('reads the environment, overridden by flags', () => {
    const config = productConfigFrom(
      {
        SALDO_HOLD_EXPIRY: '31d',
        SALDO_BALANCES_TOPIC: 'saldos',
        SALDO_ALERTS_TOPIC: 'alertas',
        SALDO_FRAUD_GRACE: '1m',
        REDIS_URL: 'redis://cache:6379',
      },
      { holdExpiry: '10d', transactionsTopic: 'movimientos', limitsTopic: 'limites', fraudGrace: '2m' },
    );
    expect(config.holdExpiryMs).toBe(10 * DAY);
    expect(config.fraudGraceMs).toBe(2 * 60_000);
    expect(config.topics).toEqual({
      transactions: 'movimientos',
      balances: 'saldos',
      accountLimits: 'limites',
      fraudAlerts: 'alertas',
    });
    expect(config.redisUrl).toBe('redis://cache:6379');
  });

  it('reports every invalid setting at once, by name', () => {
    let failure: unknown;
    try {
      productConfigFrom(
        { SCHEMA_REGISTRY_URL: 'not a url' },
        { holdExpiry: 'a week', balancesTopic: 'bad topic' },
      );
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(ConfigError);
    const message = (failure as Error).message;
    expect(message).toMatch(/schemaRegistryUrl/);
    expect(message).toMatch(/holdExpiryMs: 'a week' is not a duration such as 7d.*--hold-expiry/);
    expect(message).toMatch(/topics\.balances/);
  });

  it('stops at start on a rule set that is not valid, naming the file and each problem', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'saldo-rules-'));
    const file = join(dir, 'rules.json');
    const rules = JSON.parse(await readFile(DEFAULT_RULES_FILE, 'utf8')) as {
      rules: Array<{ id: string; cooldown: string; parameters: Record<string, unknown> }>;
    };
    (rules.rules[0] as { cooldown: string }).cooldown = 'soon';
    const atm = rules.rules.find((rule) => rule.id === 'atm-cash-out');
    if (atm !== undefined) atm.parameters.minWithdrawals = 1;
    rules.rules.push({ id: 'no-such-rule', cooldown: '1h', parameters: {} });
    await writeFile(file, JSON.stringify(rules));
    expect(() => productConfigFrom({ SALDO_RULES: file }, {})).toThrow(ConfigError);
    try {
      productConfigFrom({}, { rules: file });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain(file);
      expect(message).toMatch(/rules\[0\] \(velocity-burst\)\.cooldown: 'soon' is not a duration/);
      expect(message).toMatch(/rules\[\d+\] \(no-such-rule\)\.version/);
    }
    rules.rules.pop();
    (rules.rules[0] as { cooldown: string }).cooldown = '30m';
    await writeFile(file, JSON.stringify(rules));
    expect(() => productConfigFrom({}, { rules: file })).toThrow(
      /rules\[3\] \(atm-cash-out\)\.parameters\.minWithdrawals: .*2/,
    );
    expect(() => productConfigFrom({}, { rules: join(dir, 'missing.json') })).toThrow(
      /cannot read the rule set/,
    );
    await rm(dir, { recursive: true, force: true });
  });
});

describe('the engine configuration from the environment', () => {
  it('creates missing output topics only when asked, by flag or SALDO_CREATE_TOPICS', () => {
    expect(streamsConfigFrom({}, {}).createOutputTopics).toBeUndefined();
    expect(streamsConfigFrom({ SALDO_CREATE_TOPICS: 'true' }, {}).createOutputTopics).toBe(true);
    expect(streamsConfigFrom({}, { createTopics: true }).createOutputTopics).toBe(true);
    expect(
      streamsConfigFrom({ SALDO_UNRECOVERABLE_COMMIT_ATTEMPTS: '3' }, {}).unrecoverableCommitAttempts,
    ).toBe(3);
  });
});
