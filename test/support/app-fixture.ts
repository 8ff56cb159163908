import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Kafka } from 'kafkajs';
import { StreamsApp } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';
import { setUpInBeforeAll } from './instance-workspace.ts';
import { createTopic, testKafka } from './kafka.ts';
import { services, uniqueName } from './services.ts';

export interface AppFixture {
  /** A fresh application id, also the prefix of the topics. */
  readonly appId: string;
  readonly topics: { input: string; output: string };
  readonly kafka: Kafka;
  /** A fresh state directory, removed after the tests. */
  readonly stateDir: string;
}

/**
 * The set-up of tests that run apps in this process, as vitest hooks of the enclosing describe: a
 * kafkajs client, `<appId>-in` and `<appId>-out` with `partitions` partitions, and a state directory.
 */
export function useAppFixture(label: string, partitions: number): AppFixture {
  const appId = uniqueName(label);
  const topics = { input: `${appId}-in`, output: `${appId}-out` };
  let kafka: Kafka | undefined;
  let stateDir: string | undefined;
  beforeAll(async () => {
    kafka = testKafka();
    stateDir = await mkdtemp(join(tmpdir(), `saldo-${label}-`));
    await createTopic(kafka, topics.input, partitions);
    await createTopic(kafka, topics.output, partitions);
  });
  afterAll(async () => {
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });
  return {
    appId,
    topics,
    get kafka() {
      return setUpInBeforeAll(kafka, 'kafka');
    },
    get stateDir() {
      return setUpInBeforeAll(stateDir, 'stateDir');
    },
  };
}

/** The sum of a group's committed offsets over a topic's partitions (none committed: 0). */
export async function committedOffsetsSum(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets[0]?.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0) ?? 0;
  } finally {
    await admin.disconnect();
  }
}

export interface ScratchApps {
  readonly kafka: Kafka;
  /** A state directory for the apps the tests start, removed after them. */
  readonly stateDir: string;
  /** An app's configuration on the test broker, with that state directory. */
  config(applicationId: string): {
    applicationId: string;
    brokers: string[];
    stateDir: string;
    logLevel: 'silent' | 'warn';
  };
}

/**
 * The set-up of tests that start apps of their own topologies in this process, as vitest hooks of
 * the enclosing describe: a kafkajs client and a state directory; each test makes its own topics.
 */
export function useScratchApps(label: string, logLevel: 'silent' | 'warn' = 'warn'): ScratchApps {
  let kafka: Kafka | undefined;
  let stateDir: string | undefined;
  beforeAll(async () => {
    kafka = testKafka();
    stateDir = await mkdtemp(join(tmpdir(), `saldo-${label}-`));
  });
  afterAll(async () => {
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });
  return {
    get kafka() {
      return setUpInBeforeAll(kafka, 'kafka');
    },
    get stateDir() {
      return setUpInBeforeAll(stateDir, 'stateDir');
    },
    config: (applicationId) => ({
      applicationId,
      brokers: services().kafkaBrokers,
      stateDir: setUpInBeforeAll(stateDir, 'stateDir'),
      logLevel,
    }),
  };
}

/** Starts the counting topology as the fixture's app: its id, topics and state directory; logs off. */
export async function startCountingApp(fx: AppFixture): Promise<StreamsApp> {
  const app = new StreamsApp(countingTopology(fx.topics), {
    applicationId: fx.appId,
    brokers: services().kafkaBrokers,
    stateDir: fx.stateDir,
    logLevel: 'silent',
  });
  await app.start();
  return app;
}
