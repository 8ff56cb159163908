import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../processor/errors.ts';
import { validateStreamsConfig } from '../../../processor/config.ts';
import { streamsConfigFrom } from '../../../cli/env-config.ts';

describe('start-up configuration', () => {
  it('fills defaults: exactly-once, 100 ms commits', () => {
    const config = validateStreamsConfig({
      applicationId: 'balances',
      brokers: ['127.0.0.1:9092'],
      stateDir: '/tmp/s',
    });
    expect(config.processingGuarantee).toBe('exactly-once');
    expect(config.commitIntervalMs).toBe(100);
  });

  it('reports every problem at once, naming the setting', () => {
    let error: unknown;
    try {
      validateStreamsConfig({
        applicationId: 'bad id!',
        brokers: ['nohostport'],
        stateDir: '',
        commitIntervalMs: 0,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/applicationId/);
    expect(message).toMatch(/brokers\.0: each broker must be host:port/);
    expect(message).toMatch(/stateDir/);
    expect(message).toMatch(/commitIntervalMs/);
  });

  it('rejects a heartbeat that is not well inside the session timeout', () => {
    expect(() =>
      validateStreamsConfig({
        applicationId: 'a',
        brokers: ['h:1'],
        stateDir: '/s',
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 3000,
      }),
    ).toThrow(/heartbeatIntervalMs/);
  });

  it('reads the environment, with flags taking precedence, and rejects non-numbers', () => {
    const input = streamsConfigFrom(
      { KAFKA_BROKERS: 'a:1, b:2', SALDO_APPLICATION_ID: 'from-env', SALDO_COMMIT_INTERVAL_MS: '250' },
      { appId: 'from-flag' },
    );
    expect(input.brokers).toEqual(['a:1', 'b:2']);
    expect(input.applicationId).toBe('from-flag');
    expect(input.commitIntervalMs).toBe(250);
    expect(() => validateStreamsConfig(streamsConfigFrom({ SALDO_COMMIT_INTERVAL_MS: 'soon' }, {}))).toThrow(
      /commitIntervalMs/,
    );
  });

  it('runs the Kafka client on the engine thread unless told otherwise, and rejects unknown choices', () => {
    const base = { applicationId: 'a', brokers: ['h:1'], stateDir: '/s' };
    expect(validateStreamsConfig(base).kafkaClientThread).toBe('main');
    expect(
      validateStreamsConfig(streamsConfigFrom({ SALDO_KAFKA_CLIENT_THREAD: 'worker' }, {})).kafkaClientThread,
    ).toBe('worker');
    expect(
      validateStreamsConfig(streamsConfigFrom({ SALDO_STATE_CACHE_MAX_BYTES_PER_TASK: '0' }, {}))
        .stateCacheMaxBytesPerTask,
    ).toBe(0);
    expect(() => validateStreamsConfig(streamsConfigFrom({ SALDO_KAFKA_CLIENT_THREAD: 'both' }, {}))).toThrow(
      /kafkaClientThread/,
    );
  });
  it('bounds the state read cache of a task: 2 MiB unless set, whole bytes from 0 (off) to 1 GiB', () => {
    const base = { applicationId: 'a', brokers: ['h:1'], stateDir: '/s' };
    expect(validateStreamsConfig(base).stateCacheMaxBytesPerTask).toBe(2 * 1024 * 1024);
    expect(validateStreamsConfig({ ...base, stateCacheMaxBytesPerTask: 0 }).stateCacheMaxBytesPerTask).toBe(
      0,
    );
    for (const bad of [-1, 1.5, 2 * 1024 * 1024 * 1024]) {
      expect(() => validateStreamsConfig({ ...base, stateCacheMaxBytesPerTask: bad })).toThrow(
        /stateCacheMaxBytesPerTask/,
      );
    }
  });
  it('bounds input fetches: 1 MiB / 512 KiB unless set, from the environment, per partition within the total', () => {
    const base = { applicationId: 'a', brokers: ['h:1'], stateDir: '/s' };
    const defaults = validateStreamsConfig(base);
    expect([defaults.fetchMaxBytes, defaults.fetchMaxBytesPerPartition]).toEqual([1024 * 1024, 512 * 1024]);
    const fromEnv = validateStreamsConfig(
      streamsConfigFrom(
        { SALDO_FETCH_MAX_BYTES: '2097152', SALDO_FETCH_MAX_BYTES_PER_PARTITION: '131072' },
        {},
      ),
    );
    expect([fromEnv.fetchMaxBytes, fromEnv.fetchMaxBytesPerPartition]).toEqual([2_097_152, 131_072]);
    expect(() =>
      validateStreamsConfig({
        ...base,
        fetchMaxBytes: 1024 * 1024,
        fetchMaxBytesPerPartition: 2 * 1024 * 1024,
      }),
    ).toThrow(/fetchMaxBytesPerPartition: 2097152 must not exceed fetchMaxBytes \(1048576\)/);
    expect(() => validateStreamsConfig({ ...base, fetchMaxBytes: 1_000 })).toThrow(/fetchMaxBytes/);
    // Rules between settings are reported together, like the settings' own problems.
    expect(() =>
      validateStreamsConfig({
        ...base,
        fetchMaxBytes: 1024 * 1024,
        fetchMaxBytesPerPartition: 2 * 1024 * 1024,
        sessionTimeoutMs: 3_000,
        heartbeatIntervalMs: 2_000,
      }),
    ).toThrow(/heartbeatIntervalMs: 2000 must be at most a third[\s\S]*fetchMaxBytesPerPartition: 2097152/);
    expect(() =>
      validateStreamsConfig(streamsConfigFrom({ SALDO_FETCH_MAX_BYTES_PER_PARTITION: 'lots' }, {})),
    ).toThrow(/fetchMaxBytesPerPartition/);
  });
  it('waits for an empty input partition only when known to lag unless set: -1 to 10 min, from SALDO_MAX_TASK_IDLE_MS', () => {
    const base = { applicationId: 'a', brokers: ['h:1'], stateDir: '/s' };
    expect(validateStreamsConfig(base).maxTaskIdleMs).toBe(0);
    expect(
      validateStreamsConfig(streamsConfigFrom({ SALDO_MAX_TASK_IDLE_MS: '250' }, {})).maxTaskIdleMs,
    ).toBe(250);
    expect(validateStreamsConfig(streamsConfigFrom({ SALDO_MAX_TASK_IDLE_MS: '-1' }, {})).maxTaskIdleMs).toBe(
      -1,
    );
    expect(() => validateStreamsConfig({ ...base, maxTaskIdleMs: -2 })).toThrow(/maxTaskIdleMs/);
    expect(() => validateStreamsConfig(streamsConfigFrom({ SALDO_MAX_TASK_IDLE_MS: 'a while' }, {}))).toThrow(
      /maxTaskIdleMs/,
    );
  });
});
