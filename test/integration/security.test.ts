// saldo against the secure platform (npm run platform:up -- --secure): Kafka on SASL_SSL with
// SCRAM-SHA-512, Redis over TLS with a password, the registry over https with basic auth, all with
// a throwaway CA. This file starts that platform itself (its own home and ports, beside the plain
// one the other tests use) and stops afterwards what it started; one already up is reused.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  platformDown,
  platformOptionsFromEnv,
  platformUp,
  type ServiceName,
} from '../../scripts/platform/index.ts';
import {
  kafkaSecurityFromEnv,
  redisSecurityFromEnv,
  registrySecurityFromEnv,
} from '../../cli/security-env.ts';
import {
  connectKafkaSink,
  readExpectedBalances,
  runGenerator,
  silentProgress,
  systemRunClock,
} from '../../cli/generate/index.ts';
import { checkBalances } from '../../cli/verify/balances-check.ts';
import { kafkaJsSecurityOptions, type KafkaSecurity } from '../../processor/index.ts';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import { prefixedProductTopics, type ProductTopics } from '../../topologies/product.ts';
import { waitForInputCommitted } from '../support/instance-kafka.ts';
import { InstanceProcess, killAllInstances, stopAllInstances } from '../support/instance-process.ts';
import { uniqueName } from '../support/services.ts';

const PARTITIONS = 2;
const ACCOUNTS = 20;
const RECORDS = 300;
/** A refused start: node and the TypeScript loader take ~3 s of it; retries would take far longer. */
const FAIL_FAST_MS = 20_000;

const log = (line: string) => console.error(`[secure platform] ${line}`);

let env: Record<string, string> = {};
let stopPlatform: () => Promise<void> = async () => {};
let kafkaSecurity: KafkaSecurity | undefined;
let admin: Admin | undefined;
let root = '';

function secured(): { admin: Admin; security: KafkaSecurity; brokers: string[] } {
  if (admin === undefined || kafkaSecurity === undefined) throw new Error('set up in beforeAll');
  return { admin, security: kafkaSecurity, brokers: [env.KAFKA_BROKERS as string] };
}

/** `saldo run` of the product on the secure platform, with `overrides` over its client settings. */
function spawnSecure(
  name: string,
  appId: string,
  topics: ProductTopics,
  overrides: Record<string, string> = {},
) {
  return InstanceProcess.spawn({
    name,
    appId,
    topology: 'product',
    input: topics.transactions,
    output: topics.balances,
    fraudTopics: topics,
    stateDir: join(root, `state-${name}`),
    brokers: secured().brokers,
    env: { ...env, SALDO_REDIS_KEY_PREFIX: `${appId}:`, ...overrides },
    logDir: root,
  });
}

async function createTopics(topics: ProductTopics): Promise<void> {
  const created = await secured().admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: PARTITIONS })),
  });
  expect(created).toBe(true);
}

/** Starts a refused instance and returns how long it took to exit, its exit code and its stderr. */
async function refusedStart(name: string, overrides: Record<string, string>) {
  // It stops before it would look for its topics: none are made.
  const appId = uniqueName(`secure-${name}`);
  const topics = prefixedProductTopics(appId);
  const began = Date.now();
  const instance = spawnSecure(name, appId, topics, overrides);
  const exit = await instance.exited;
  return {
    elapsedMs: Date.now() - began,
    code: exit.code,
    stderr: instance.otherOutput,
    // kafkajs' own log lines: a retry storm would show here
    kafkaLines: instance.lines.filter((line) => line.component === 'kafkajs').length,
  };
}

describe('saldo on the secure platform: SASL_SSL, Redis with a password over TLS, registry basic auth', () => {
  beforeAll(async () => {
    const options = platformOptionsFromEnv(process.env, true);
    const { endpoints, started } = await platformUp({ ...options, log });
    if (started.length > 0) {
      stopPlatform = async () => {
        await platformDown({ ...options, only: started as ServiceName[], log });
      };
    }
    env = {
      KAFKA_BROKERS: endpoints.kafkaBrokers,
      SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
      REDIS_URL: endpoints.redisUrl,
      ...endpoints.clientEnv,
    };
    kafkaSecurity = kafkaSecurityFromEnv(env);
    const kafka = new Kafka({
      clientId: 'saldo-security-test',
      brokers: [endpoints.kafkaBrokers],
      logLevel: logLevel.NOTHING,
      ...kafkaJsSecurityOptions(kafkaSecurity),
    });
    admin = kafka.admin();
    await admin.connect();
    root = await mkdtemp(join(tmpdir(), 'saldo-security-'));
    await writeFile(join(root, 'wrong.password'), 'not-the-password\n', { mode: 0o600 });
    // A CA of its own, which signed nothing the platform serves.
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=another CA'].concat([
        '-keyout',
        join(root, 'other-ca.key'),
        '-out',
        join(root, 'other-ca.pem'),
      ]),
      { stdio: 'ignore' },
    );
  }, 600_000);

  afterAll(async () => {
    await stopAllInstances(10_000).catch(() => killAllInstances());
    await admin?.disconnect().catch(() => undefined);
    await stopPlatform();
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  it('runs the product end to end: balances in Redis and on the topic (stream threads, client thread)', async () => {
    const appId = uniqueName('secure-e2e');
    const topics = prefixedProductTopics(appId);
    await createTopics(topics);
    // Two stream threads, each with its Kafka client in a thread of its own: every client of the
    // instance, and the Redis cache of each thread, must get the settings.
    const instance = spawnSecure('e2e', appId, topics, {
      SALDO_STREAM_THREADS: '2',
      SALDO_KAFKA_CLIENT_THREAD: 'worker',
    });
    await instance.waitForLine((line) => line.msg === 'app starting -> running', {
      timeoutMs: 90_000,
      what: 'the instance to run',
    });

    const registrySecurity = registrySecurityFromEnv(env, env.SCHEMA_REGISTRY_URL as string);
    const expectedPath = join(root, 'expected.jsonl');
    const sink = await connectKafkaSink({
      brokers: secured().brokers,
      security: secured().security,
      topic: topics.transactions,
      serde: productSerdes(ConfluentAvroRegistry.connect(env.SCHEMA_REGISTRY_URL as string, registrySecurity))
        .transaction,
      log: () => undefined,
    });
    try {
      const summary = await runGenerator(
        {
          accounts: ACCOUNTS,
          count: RECORDS,
          seed: 16,
          startTime: Date.now(),
          topic: topics.transactions,
          expectedPath,
          batchSize: 100,
        },
        sink,
        { clock: systemRunClock, progress: silentProgress },
      );
      expect(summary.records).toBe(RECORDS);
    } finally {
      await sink.close();
    }
    await waitForInputCommitted(secured().admin, {
      groupId: appId,
      topic: topics.transactions,
      expectedRecords: RECORDS,
      timeoutMs: 120_000,
      instances: [instance],
    });

    const expected = await readExpectedBalances(expectedPath);
    const checkNow = () =>
      checkBalances({
        expected,
        brokers: secured().brokers,
        registryUrl: env.SCHEMA_REGISTRY_URL as string,
        redisUrl: env.REDIS_URL as string,
        redisKeyPrefix: `${appId}:`,
        balancesTopic: topics.balances,
        clientId: `${appId}-verify`,
        kafkaSecurity: secured().security,
        registrySecurity,
        redisSecurity: redisSecurityFromEnv(env, env.REDIS_URL as string),
      });
    // Redis is written after each commit: give the last writes a moment. (The topic's read waits
    // for the transactions still open on it by itself: cli/read-topic.ts, throughOpenTransactions.)
    let check = await checkNow();
    const settled = () => check.redis.matched === expected.size;
    for (let attempt = 0; attempt < 20 && !settled(); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      check = await checkNow();
    }
    expect(expected.size).toBe(ACCOUNTS);
    expect(check.topic.mismatches.slice(0, 3)).toEqual([]);
    expect(check.topic.matched).toBe(ACCOUNTS);
    expect(check.redis.mismatches.slice(0, 3)).toEqual([]);
    expect(check.redis.matched).toBe(ACCOUNTS);
    // No secret reaches the log.
    const password = (secured().security.sasl?.password ?? '') as string;
    expect(password.length).toBeGreaterThan(8);
    expect(JSON.stringify(instance.lines)).not.toContain(password);
    await instance.stop();
  });

  it('a wrong Kafka password stops saldo run within seconds, with one clear message and no retries', async () => {
    const refused = await refusedStart('kafka-auth', {
      SALDO_KAFKA_SASL_PASSWORD_FILE: join(root, 'wrong.password'),
    });
    expect(refused.code).toBe(1);
    expect(refused.elapsedMs).toBeLessThan(FAIL_FAST_MS);
    expect(refused.stderr).toHaveLength(1);
    expect(refused.stderr[0]).toMatch(
      new RegExp(
        `^saldo: kafka: authentication failed for user 'saldo' at ${env.KAFKA_BROKERS}: .*SCRAM.*; check SALDO_KAFKA_SASL_USERNAME`,
      ),
    );
    expect(refused.kafkaLines).toBe(0);
  });

  it('a wrong Redis password stops saldo run within seconds, with one clear message', async () => {
    const refused = await refusedStart('redis-auth', {
      SALDO_REDIS_PASSWORD_FILE: join(root, 'wrong.password'),
    });
    expect(refused.code).toBe(1);
    expect(refused.elapsedMs).toBeLessThan(FAIL_FAST_MS);
    expect(refused.stderr).toEqual([
      `saldo: redis: authentication failed for user 'default' at ${env.REDIS_URL}: WRONGPASS invalid username-password pair or user is disabled; check SALDO_REDIS_USERNAME and SALDO_REDIS_PASSWORD(_FILE)`,
    ]);
  });

  it('a wrong registry password stops saldo run within seconds, with one clear message', async () => {
    const refused = await refusedStart('registry-auth', {
      SALDO_SCHEMA_REGISTRY_PASSWORD_FILE: join(root, 'wrong.password'),
    });
    expect(refused.code).toBe(1);
    expect(refused.elapsedMs).toBeLessThan(FAIL_FAST_MS);
    expect(refused.stderr).toEqual([
      `saldo: schema registry: authentication failed for user 'saldo' at ${env.SCHEMA_REGISTRY_URL}: HTTP 401 Unauthorized; check SALDO_SCHEMA_REGISTRY_USERNAME and SALDO_SCHEMA_REGISTRY_PASSWORD(_FILE)`,
    ]);
  });

  it("a CA that did not sign the broker's certificate stops saldo run with a TLS message", async () => {
    const refused = await refusedStart('kafka-tls', {
      // the registry's and Redis' CA stay right: the start gets as far as Kafka
      SALDO_KAFKA_TLS_CA_FILE: join(root, 'other-ca.pem'),
    });
    expect(refused.code).toBe(1);
    expect(refused.elapsedMs).toBeLessThan(FAIL_FAST_MS);
    expect(refused.stderr).toHaveLength(1);
    expect(refused.stderr[0]).toMatch(
      new RegExp(`^saldo: kafka: TLS connection to ${env.KAFKA_BROKERS} failed: .*certificate.*; check`),
    );
  });
});
