import { join } from 'node:path';
import { InstanceProcess } from './instance-process.ts';
import { services } from './services.ts';

/**
 * A `saldo run` of the counting topology in a process of its own, on the test broker, with its
 * state directory and log under `root`.
 */
export function spawnCountingInstance(options: {
  name: string;
  appId: string;
  topics: { input: string; output: string };
  root: string;
  /** The instance's environment (session timeout, standbys…). */
  env: Record<string, string>;
}): InstanceProcess {
  return InstanceProcess.spawn({
    name: options.name,
    appId: options.appId,
    input: options.topics.input,
    output: options.topics.output,
    stateDir: join(options.root, `state-${options.name}`),
    brokers: services().kafkaBrokers,
    env: options.env,
    logDir: options.root,
  });
}
