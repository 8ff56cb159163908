import { describe, expect, it } from 'vitest';
import {
  GENERATE_DEFAULTS,
  generateConfigFrom,
  MAX_EVENT_TIME_SPAN_MS,
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
  it('default to a counted run of a thousand accounts, starting now, to the transactions topic', () => {
    const config = generateConfigFrom({}, {}, NOW);
    expect(config).toMatchObject({
      accounts: GENERATE_DEFAULTS.accounts,
      count: GENERATE_DEFAULTS.count,
      seed: GENERATE_DEFAULTS.seed,
      startTime: NOW,
      topic: 'transactions',
      batchSize: GENERATE_DEFAULTS.batchSize,
      registryUrl: GENERATE_DEFAULTS.registryUrl,
      json: false,
      dryRun: false,
    });
    expect(config.durationMs).toBeUndefined();
    expect(config.rate).toBeUndefined();
    expect(config.expectedPath).toBeUndefined();
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
    expect(generateConfigFrom({}, { duration: '30s' }, NOW).count).toBeUndefined();
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

  it('refuse a run whose event times would span more than the limit', () => {
    const spanHours = `${MAX_EVENT_TIME_SPAN_MS / 3_600_000} h`;
    expect(problems({ count: String(MAX_EVENT_TIME_SPAN_MS + 2) })).toContain(spanHours);
    expect(() => generateConfigFrom({}, { count: String(MAX_EVENT_TIME_SPAN_MS + 1) }, NOW)).not.toThrow();
    expect(problems({ count: '100000', rate: '1' })).toMatch(
      /--count: 100000 records 1000 ms apart span more than/,
    );
    expect(problems({ duration: '7h', rate: '10' })).toMatch(/--duration: .* at most 6 h/);
    // Unlimited and timed: the run itself stops at the span.
    expect(() => generateConfigFrom({}, { duration: '7h' }, NOW)).not.toThrow();
  });
});
