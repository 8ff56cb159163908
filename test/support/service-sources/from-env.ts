export interface ProvidedServices {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  redisUrl: string;
  source: string;
  /** The broker's process id when the tests may pause it (the local platform, or SALDO_TEST_KAFKA_PID). */
  kafkaPid?: number;
}

/** Services named by env vars; all three or none, so that a half-set environment is an error, not a surprise. */
export function servicesFromEnv(env: NodeJS.ProcessEnv): ProvidedServices | undefined {
  const names = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL'] as const;
  const set = names.filter((n) => env[n] !== undefined && env[n] !== '');
  if (set.length === 0) return undefined;
  if (set.length !== names.length) {
    const missing = names.filter((n) => !set.includes(n));
    throw new Error(
      `integration services: ${set.join(', ')} set but ${missing.join(', ')} missing; set all three or none`,
    );
  }
  return {
    kafkaBrokers: env.KAFKA_BROKERS as string,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL as string,
    redisUrl: env.REDIS_URL as string,
    source: 'environment',
    ...(env.SALDO_TEST_KAFKA_PID ? { kafkaPid: Number(env.SALDO_TEST_KAFKA_PID) } : {}),
  };
}
