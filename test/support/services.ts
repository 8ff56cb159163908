import { inject } from 'vitest';

/** Where the integration tests find the real services; set by test/support/global-setup.ts. */
export interface ServiceEndpoints {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  redisUrl: string;
  /** Set when tests may pause the broker (SIGSTOP) to simulate its loss. */
  kafkaPid: number | undefined;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: {
      kafkaBrokers: string;
      schemaRegistryUrl: string;
      redisUrl: string;
      source: string;
      kafkaPid?: number;
    };
  }
}

export function services(): ServiceEndpoints {
  const provided = inject('services');
  return {
    kafkaBrokers: provided.kafkaBrokers.split(',').map((b) => b.trim()),
    schemaRegistryUrl: provided.schemaRegistryUrl,
    redisUrl: provided.redisUrl,
    kafkaPid: provided.kafkaPid,
  };
}

/** A topic or group name no other test (or earlier run against the same broker) has used. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
