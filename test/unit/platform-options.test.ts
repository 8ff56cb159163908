import { join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  endpointsFor,
  envLines,
  platformOptionsFromEnv,
  REPO_ROOT,
  resolveOptions,
} from '../../scripts/platform/options.ts';

describe('platformOptionsFromEnv', () => {
  it('defaults to the documented ports, <repo>/.platform and ~/.cache/saldo', () => {
    const options = platformOptionsFromEnv({});
    expect(options).toEqual({
      homeDir: join(REPO_ROOT, '.platform'),
      cacheDir: join(homedir(), '.cache', 'saldo'),
      kafkaPort: 19092,
      controllerPort: 19093,
      registryPort: 18081,
      redisPort: 16379,
      readyTimeoutMs: 180_000,
      fresh: false,
      only: ['kafka', 'registry', 'redis'],
      secure: false,
    });
  });

  it('reads every variable', () => {
    const options = platformOptionsFromEnv({
      SALDO_PLATFORM_HOME: '/srv/platform',
      SALDO_CACHE_DIR: 'relative-cache',
      SALDO_KAFKA_PORT: '29092',
      SALDO_KAFKA_CONTROLLER_PORT: '29093',
      SALDO_REGISTRY_PORT: ' 28081 ',
      SALDO_REDIS_PORT: '26379',
      SALDO_PLATFORM_READY_TIMEOUT_MS: '5000',
      SALDO_PLATFORM_FRESH: '1',
      SALDO_PLATFORM_SERVICES: 'redis, kafka',
    });
    expect(options).toEqual({
      homeDir: '/srv/platform',
      cacheDir: resolve('relative-cache'),
      kafkaPort: 29092,
      controllerPort: 29093,
      registryPort: 28081,
      redisPort: 26379,
      readyTimeoutMs: 5000,
      fresh: true,
      only: ['kafka', 'redis'],
      secure: false,
    });
  });

  it('gives the secure platform its own home, ports and variables', () => {
    const plainPorts = { SALDO_KAFKA_PORT: '39092', SALDO_PLATFORM_HOME: '/srv/plain' };
    expect(platformOptionsFromEnv({ ...plainPorts, SALDO_PLATFORM_SECURE: '1' })).toMatchObject({
      homeDir: join(REPO_ROOT, '.platform-secure'),
      kafkaPort: 29092,
      controllerPort: 29093,
      registryPort: 28081,
      redisPort: 26379,
      secure: true,
    });
    const options = platformOptionsFromEnv(
      { SALDO_SECURE_PLATFORM_HOME: '/srv/secure', SALDO_SECURE_KAFKA_PORT: '39192' },
      true,
    );
    expect(options).toMatchObject({ homeDir: '/srv/secure', kafkaPort: 39192, secure: true });
    expect(() => platformOptionsFromEnv({ SALDO_SECURE_REDIS_PORT: 'x' }, true)).toThrow(
      /^SALDO_SECURE_REDIS_PORT must be an integer/,
    );
  });

  it('treats empty variables as unset', () => {
    expect(platformOptionsFromEnv({ SALDO_KAFKA_PORT: '', SALDO_PLATFORM_HOME: ' ' }).kafkaPort).toBe(19092);
  });

  it.each(['abc', '0', '65536', '-1', '1.5', '19092x', '1e3', '0x50'])(
    'rejects SALDO_KAFKA_PORT=%j with an error naming the variable',
    (value) => {
      expect(() => platformOptionsFromEnv({ SALDO_KAFKA_PORT: value })).toThrow(
        /SALDO_KAFKA_PORT must be an integer TCP port between 1 and 65535/,
      );
    },
  );

  it.each([
    ['SALDO_KAFKA_CONTROLLER_PORT', '99999'],
    ['SALDO_REGISTRY_PORT', 'http'],
    ['SALDO_REDIS_PORT', '-6379'],
  ])('rejects an invalid %s', (name, value) => {
    expect(() => platformOptionsFromEnv({ [name]: value })).toThrow(
      new RegExp(`^${name} must be an integer`),
    );
  });

  it('accepts the port range bounds', () => {
    expect(platformOptionsFromEnv({ SALDO_REDIS_PORT: '1', SALDO_REGISTRY_PORT: '65535' })).toMatchObject({
      redisPort: 1,
      registryPort: 65535,
    });
  });

  it('rejects two services on one port', () => {
    expect(() => platformOptionsFromEnv({ SALDO_REDIS_PORT: '19092' })).toThrow(
      /kafkaPort and redisPort are both 19092/,
    );
  });

  it('rejects a bad timeout and unknown services', () => {
    expect(() => platformOptionsFromEnv({ SALDO_PLATFORM_READY_TIMEOUT_MS: '0' })).toThrow(
      /SALDO_PLATFORM_READY_TIMEOUT_MS must be a positive integer/,
    );
    expect(() => platformOptionsFromEnv({ SALDO_PLATFORM_SERVICES: 'kafka,zookeeper' })).toThrow(
      /unknown service "zookeeper"/,
    );
  });
});

describe('resolveOptions', () => {
  it('lets explicit options win over the environment and validates them', () => {
    const options = resolveOptions({ kafkaPort: 39092, only: ['redis'] }, { SALDO_KAFKA_PORT: '29092' });
    expect(options.kafkaPort).toBe(39092);
    expect(options.only).toEqual(['redis']);
    expect(() => resolveOptions({ registryPort: 70000 }, {})).toThrow(/registryPort must be an integer/);
    expect(() => resolveOptions({ redisPort: 19093 }, {})).toThrow(
      /controllerPort and redisPort are both 19093/,
    );
  });
});

describe('endpointsFor', () => {
  it('gives the URLs the services are reached at', () => {
    const endpoints = endpointsFor(platformOptionsFromEnv({}));
    expect(endpoints).toEqual({
      kafkaBrokers: '127.0.0.1:19092',
      schemaRegistryUrl: 'http://127.0.0.1:18081/apis/ccompat/v7',
      redisUrl: 'redis://127.0.0.1:16379',
    });
    expect(envLines(endpoints)).toEqual([
      'KAFKA_BROKERS=127.0.0.1:19092',
      'SCHEMA_REGISTRY_URL=http://127.0.0.1:18081/apis/ccompat/v7',
      'REDIS_URL=redis://127.0.0.1:16379',
    ]);
  });

  it("gives the secure platform's URLs and the client settings, passwords as files", () => {
    const options = resolveOptions({ secure: true, homeDir: '/srv/secure' }, {});
    const endpoints = endpointsFor(options);
    expect(endpoints).toMatchObject({
      kafkaBrokers: '127.0.0.1:29092',
      schemaRegistryUrl: 'https://127.0.0.1:28081/apis/ccompat/v7',
      redisUrl: 'rediss://127.0.0.1:26379',
    });
    expect(envLines(endpoints).slice(3)).toEqual([
      'SALDO_KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      'SALDO_KAFKA_SASL_MECHANISM=scram-sha-512',
      'SALDO_KAFKA_SASL_USERNAME=saldo',
      'SALDO_KAFKA_SASL_PASSWORD_FILE=/srv/secure/secrets/kafka-saldo.password',
      'SALDO_KAFKA_TLS_CA_FILE=/srv/secure/secrets/ca.pem',
      'SALDO_REDIS_PASSWORD_FILE=/srv/secure/secrets/redis.password',
      'SALDO_REDIS_TLS_CA_FILE=/srv/secure/secrets/ca.pem',
      'SALDO_SCHEMA_REGISTRY_USERNAME=saldo',
      'SALDO_SCHEMA_REGISTRY_PASSWORD_FILE=/srv/secure/secrets/registry-saldo.password',
      'SALDO_SCHEMA_REGISTRY_TLS_CA_FILE=/srv/secure/secrets/ca.pem',
    ]);
  });
});
