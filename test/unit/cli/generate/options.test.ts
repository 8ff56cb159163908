import { describe, expect, it } from 'vitest';
import {
  GENERATE_DEFAULTS,
  MAX_EVENT_TIME_SPAN_MS,
  MAX_REALISTIC_SPAN_MS,
  RULE_IDS,
  defaultEventSpanMs,
  generateConfigFrom,
} from '../../../../cli/generate/index.ts';
import { ConfigError } from '../../../../processor/index.ts';

const NOW = Date.UTC(2026, 11, 1, 12);

function problems(flags: Parameters<typeof generateConfigFrom>[1], env: NodeJS.ProcessEnv = {}): string {
  try {
    generateConfigFrom(env, flags, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the options were accepted');
}

describe('saldo generate options', () => {
  it('default to a counted run of a thousand accounts, ending now, to the transactions topic', () => {
    const config = generateConfigFrom({}, {}, NOW);
    // Ten records per account, about three hours of event time each: 30 h, ending now.
    const spanMs = 30 * 3_600_000;
    expect(config).toMatchObject({
      accounts: GENERATE_DEFAULTS.accounts,
      count: GENERATE_DEFAULTS.count,
      seed: GENERATE_DEFAULTS.seed,
      startTime: NOW - spanMs,
      realistic: { spanMs, historyDays: 120, fraudRate: 0.01, patterns: [...RULE_IDS] },
      limitsTopic: 'account-limits',
      topic: 'transactions',
      batchSize: GENERATE_DEFAULTS.batchSize,
      registryUrl: GENERATE_DEFAULTS.registryUrl,
      json: false,
      dryRun: false,
    });
    expect(config.durationMs).toBeUndefined();
    expect(config.rate).toBeUndefined();
    expect(config.expectedPath).toBeUndefined();
    expect(config.labelsPath).toBeUndefined();
  });

  it('spread realistic event time over the span asked for, with the fraud, history and limits asked for', () => {
    const config = generateConfigFrom(
      { SALDO_LIMITS_TOPIC: 'limits-env' },
      {
        eventSpan: '3d',
        historyDays: '100',
        fraudRate: '0.05',
        patterns: 'card-testing, overdraft',
        labels: 'l.jsonl',
      },
      NOW,
    );
    expect(config).toMatchObject({
      startTime: NOW - 3 * 86_400_000,
      realistic: {
        spanMs: 3 * 86_400_000,
        historyDays: 100,
        fraudRate: 0.05,
        patterns: ['card-testing', 'overdraft'],
      },
      labelsPath: 'l.jsonl',
      limitsTopic: 'limits-env',
    });
    expect(generateConfigFrom({}, { limitsTopic: 'lim', limits: false }, NOW).limitsTopic).toBeNull();
    expect(generateConfigFrom({}, { eventSpan: 'emission' }, NOW)).toMatchObject({
      startTime: NOW,
      realistic: undefined,
      limitsTopic: null,
    });
  });

  it('choose a default span from the records per account, from an hour to six days', () => {
    expect(defaultEventSpanMs(10_000, 1_000)).toBe(30 * 3_600_000);
    expect(defaultEventSpanMs(100, 1_000)).toBe(3_600_000);
    expect(defaultEventSpanMs(1_000_000, 1_000)).toBe(MAX_REALISTIC_SPAN_MS);
  });

  it('refuse what realistic event time cannot do', () => {
    const message = problems({
      eventSpan: '8d',
      fraudRate: '2',
      patterns: 'card-testing,bogus',
      historyDays: '-1',
    });
    expect(message).toContain('--event-span: must be at most 6d');
    expect(message).toContain('--fraud-rate: must be a share');
    expect(message).toContain('--patterns: must be rule ids');
    expect(message).toContain('--history-days');
    expect(problems({ duration: '30s' })).toContain('give a count, or a rate and a duration');
    expect(problems({ eventSpan: 'emission', labels: 'l.jsonl' })).toContain(
      '--labels: labels need realistic event time',
    );
  });

  it('read the brokers, the registry and the topic from the environment, flags first', () => {
    const env = {
      KAFKA_BROKERS: 'k1:9092, k2:9092',
      SCHEMA_REGISTRY_URL: 'http://registry:8081',
      SALDO_TRANSACTIONS_TOPIC: 'tx-env',
    };
    expect(generateConfigFrom(env, {}, NOW)).toMatchObject({
      brokers: ['k1:9092', 'k2:9092'],
      registryUrl: 'http://registry:8081',
      topic: 'tx-env',
    });
    expect(
      generateConfigFrom(env, { brokers: 'b:1', registryUrl: 'http://r:2', topic: 'tx-flag' }, NOW),
    ).toMatchObject({ brokers: ['b:1'], registryUrl: 'http://r:2', topic: 'tx-flag' });
  });

  it('read counts, durations, rates and start times as people write them', () => {
    const config = generateConfigFrom(
      {},
      {
        count: '20_000',
        duration: '5m',
        rate: '2500',
        seed: '42',
        startTime: '2026-12-24T18:00:00Z',
        expected: 'e.jsonl',
        json: true,
      },
      NOW,
    );
    expect(config).toMatchObject({
      count: 20_000,
      durationMs: 300_000,
      rate: 2_500,
      seed: 42,
      startTime: Date.UTC(2026, 11, 24, 18),
      expectedPath: 'e.jsonl',
      json: true,
    });
    expect(generateConfigFrom({}, { startTime: '1767225600000' }, NOW).startTime).toBe(1_767_225_600_000);
    // A duration alone: no default count.
    expect(generateConfigFrom({}, { duration: '30s', rate: '100' }, NOW).count).toBeUndefined();
  });

  it('report every problem at once, each by its flag', () => {
    const message = problems({
      accounts: '0',
      rate: 'fast',
      seed: '-1',
      topic: 'bad topic',
      startTime: 'yesterday',
      duration: 'a while',
      batchSize: '100000',
      brokers: 'no-port',
    });
    for (const flag of [
      '--accounts',
      '--rate',
      '--seed',
      '--topic',
      '--start-time',
      '--duration',
      '--batch-size',
      '--brokers',
    ]) {
      expect(message).toContain(`  - ${flag}`);
    }
    expect(message).toContain('--rate: must be a number of transactions per second above 0');
    expect(message).toContain('--duration: must be a duration such as 30s, 5m or 2h');
  });

  it('refuse a run whose event times would span more than the limit, when event time follows emission', () => {
    const spanHours = `${MAX_EVENT_TIME_SPAN_MS / 3_600_000} h`;
    const emission = { eventSpan: 'emission' };
    expect(problems({ ...emission, count: String(MAX_EVENT_TIME_SPAN_MS + 2) })).toContain(spanHours);
    expect(() =>
      generateConfigFrom({}, { ...emission, count: String(MAX_EVENT_TIME_SPAN_MS + 1) }, NOW),
    ).not.toThrow();
    expect(problems({ ...emission, count: '100000', rate: '1' })).toMatch(
      /--count: 100000 records 1000 ms apart span more than/,
    );
    expect(problems({ ...emission, duration: '7h', rate: '10' })).toMatch(/--duration: .* at most 6 h/);
    // Unlimited and timed: the run itself stops at the span.
    expect(() => generateConfigFrom({}, { ...emission, duration: '7h' }, NOW)).not.toThrow();
    // Realistic event time is apart from the rate: a slow, long run is fine.
    expect(() => generateConfigFrom({}, { count: '100000', rate: '1' }, NOW)).not.toThrow();
  });
});
