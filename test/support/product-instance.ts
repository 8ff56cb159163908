import { join } from 'node:path';
import type { ProductTopics } from '../../topologies/product.ts';
import { InstanceProcess } from './instance-process.ts';
import { services } from './services.ts';

/**
 * A `saldo run` of the product in a process of its own, on the test services, with a state
 * directory under `root` and a short session timeout (a survivor takes over ~6 s after a kill).
 */
export function spawnProductInstance(options: {
  name: string;
  appId: string;
  topics: ProductTopics;
  root: string;
  redisKeyPrefix: string;
  /** More environment (SALDO_STREAM_THREADS, SALDO_APPLICATION_SERVER, SALDO_STATE_MARK_INTERVAL_MS…), over the defaults. */
  env?: Record<string, string>;
}): InstanceProcess {
  return InstanceProcess.spawn({
    name: options.name,
    appId: options.appId,
    topology: 'product',
    input: options.topics.transactions,
    output: options.topics.balances,
    fraudTopics: options.topics,
    stateDir: join(options.root, `state-${options.name}`),
    brokers: services().kafkaBrokers,
    env: {
      SCHEMA_REGISTRY_URL: services().schemaRegistryUrl,
      REDIS_URL: services().redisUrl,
      SALDO_REDIS_KEY_PREFIX: options.redisKeyPrefix,
      SALDO_SESSION_TIMEOUT_MS: '6000',
      SALDO_HEARTBEAT_INTERVAL_MS: '1000',
      ...options.env,
    },
    logDir: options.root,
  });
}
