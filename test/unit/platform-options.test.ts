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
    });
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
});
