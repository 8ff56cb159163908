import type { TestProject } from 'vitest/node';
import { servicesFromEnv, type ProvidedServices } from './service-sources/from-env.ts';
import { startWithTestcontainers, dockerEngineAnswers } from './service-sources/testcontainers.ts';
import { startLocalPlatform } from './service-sources/local-platform.ts';

/**
 * Finds real services for the integration tests, in this order:
 * 1. services named by KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL;
 * 2. containers, when a Docker engine answers;
 * 3. the project's local platform (scripts/platform), started here and stopped at the end
 *    (only the services this run started: a platform that was already up stays up).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let provided: ProvidedServices;
  let teardown: () => Promise<void> = async () => {};

  const fromEnv = servicesFromEnv(process.env);
  if (fromEnv) {
    provided = fromEnv;
  } else if (await dockerEngineAnswers()) {
    const started = await startWithTestcontainers();
    provided = started.services;
    teardown = started.stop;
  } else {
    const started = await startLocalPlatform();
    provided = started.services;
    teardown = started.stop;
  }

  console.error(
    `[integration] services from ${provided.source}: kafka=${provided.kafkaBrokers} registry=${provided.schemaRegistryUrl} redis=${provided.redisUrl}`,
  );
  project.provide('services', provided);
  // Child processes spawned by tests (crash and failover tests) read the same variables.
  process.env.KAFKA_BROKERS = provided.kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = provided.schemaRegistryUrl;
  process.env.REDIS_URL = provided.redisUrl;
  return teardown;
}
