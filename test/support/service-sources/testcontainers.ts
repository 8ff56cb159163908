import { createServer } from 'node:net';
import { GenericContainer, Wait, getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import type { ProvidedServices } from './from-env.ts';

// Same versions as the local platform (scripts/platform), so both paths test the same services.
const KAFKA_IMAGE = 'apache/kafka:4.1.2';
const REGISTRY_IMAGE = 'apicurio/apicurio-registry:3.3.3';
const REDIS_IMAGE = 'redis:7.0';

/** True when testcontainers finds a Docker engine; without one it throws, and we fall back. */
export async function dockerEngineAnswers(): Promise<boolean> {
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** A host port that is free now, so that Kafka can advertise the same port it is reached on. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export async function startWithTestcontainers(): Promise<{
  services: ProvidedServices;
  stop: () => Promise<void>;
}> {
  const kafkaPort = await freePort();
  const kafka = new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts({ container: kafkaPort, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${kafkaPort},CONTROLLER://0.0.0.0:9093`,
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      // As the local platform's broker (scripts/platform/kafka.ts): history is not deleted unread.
      KAFKA_LOG_RETENTION_MS: '-1',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/));
  const registry = new GenericContainer(REGISTRY_IMAGE)
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200));
  const redis = new GenericContainer(REDIS_IMAGE)
    .withExposedPorts(6379)
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/));

  const started: StartedTestContainer[] = await Promise.all([kafka.start(), registry.start(), redis.start()]);
  const [k, r, d] = started as [StartedTestContainer, StartedTestContainer, StartedTestContainer];
  return {
    services: {
      kafkaBrokers: `127.0.0.1:${kafkaPort}`,
      schemaRegistryUrl: `http://${r.getHost()}:${r.getMappedPort(8080)}/apis/ccompat/v7`,
      redisUrl: `redis://${d.getHost()}:${d.getMappedPort(6379)}`,
      source: 'testcontainers',
    },
    stop: async () => {
      await Promise.all([k.stop(), r.stop(), d.stop()]);
    },
  };
}
