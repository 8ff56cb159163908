import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avsc from 'avsc';
import type { AvroSchemaDefinition, AvroSchemaRegistry } from './avro-serde.ts';
import { avroParseOptions } from './avro-types.ts';

/** The connection arguments of @kafkajs/confluent-schema-registry's client. */
export type RegistryClientArgs = ConstructorParameters<typeof SchemaRegistry>[0];
// Its middleware, and the response its retry middleware judges, typed from the client itself: its
// declarations use mappersmith's CommonJS types, which an ES module's import of mappersmith would not match.
type RegistryMiddleware = NonNullable<RegistryClientArgs['middlewares']>[number];
type RegistryResponse = Parameters<NonNullable<NonNullable<RegistryClientArgs['retry']>['validateRetry']>>[0];

/**
 * How long one registry request may take before it is abandoned and retried. Without a bound, a
 * request whose answer never comes (a registry stalled on a starved VM, a connection dropped
 * without a reset) waits forever, and so does whatever registers or decodes through it.
 */
const REGISTRY_REQUEST_TIMEOUT_MS = 10_000;
const REGISTRY_RETRIES = 3;

/** A 5xx, or a request that timed out (mappersmith answers those with its TimeoutError). */
function isRetriableRegistryResponse(response: RegistryResponse): boolean {
  if (response.responseStatus >= 500) return true;
  return response.errors.some((error) => typeof error !== 'string' && error.name === 'TimeoutError');
}

/** Gives every request without a timeout of its own this one (mappersmith's TimeoutMiddleware). */
function requestTimeout(timeoutMs: number): RegistryMiddleware {
  return () => ({
    async prepareRequest(next) {
      const request = await next();
      return request.timeout() ? request : request.enhance({ timeout: timeoutMs });
    },
  });
}

/**
 * Every request bounded in time and retried with backoff on timeouts and 5xx, POSTs and PUTs
 * included: the calls this client makes are idempotent (registering a schema again returns its
 * id; setting a subject's compatibility again changes nothing; compatibility checks only read).
 */
export function registryClientArgs(
  url: string,
  requestTimeoutMs: number = REGISTRY_REQUEST_TIMEOUT_MS,
): RegistryClientArgs {
  return {
    host: url,
    retry: {
      retries: REGISTRY_RETRIES,
      enableRetry: () => true,
      validateRetry: isRetriableRegistryResponse,
    },
    middlewares: [requestTimeout(requestTimeoutMs)],
  };
}

/**
 * A client of the Confluent-compatible schema registry that parses Avro as saldo does: longs as
 * bigints, timestamp-millis as numbers (avroParseOptions).
 */
export function createSchemaRegistry(url: string): SchemaRegistry {
  const avroOptions = {
    // The client spreads these options per parse, which calls the getter each time: every parse
    // gets the fresh type registry avsc needs.
    get registry() {
      return avroParseOptions().registry;
    },
    get logicalTypes() {
      return avroParseOptions().logicalTypes;
    },
  };
  return new SchemaRegistry(registryClientArgs(url), { [SchemaType.AVRO]: avroOptions });
}

const REGISTER_ATTEMPTS = 5;
const REGISTER_RETRY_MS = 100;

/**
 * A conflict from setting up a subject that another client is setting up meanwhile: told that it
 * exists (409), or finding it registered before its compatibility was set (the client registers,
 * then sets the compatibility; in between the registry reports its default, e.g. NONE).
 */
function isConcurrentSetUp(error: unknown): boolean {
  const status = (error as { status?: unknown } | undefined)?.status;
  if (status === 409) return true;
  if (!(error instanceof Error)) return false;
  return /already exists/i.test(error.message) || error.name === 'ConfluentSchemaRegistryCompatibilityError';
}

/** The schema registry port of Avro serdes, over a Confluent-compatible registry's HTTP API. */
export class ConfluentAvroRegistry implements AvroSchemaRegistry {
  readonly client: SchemaRegistry;

  constructor(client: SchemaRegistry) {
    this.client = client;
  }

  static connect(url: string): ConfluentAvroRegistry {
    return new ConfluentAvroRegistry(createSchemaRegistry(url));
  }

  async register(subject: string, schema: AvroSchemaDefinition): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        const registered = await this.client.register(
          { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject, compatibility: COMPATIBILITY.BACKWARD },
        );
        return registered.id;
      } catch (error) {
        // Two instances registering a new subject at once (pods of a new deployment): the later
        // one is told it exists, or sees it before its compatibility is set. A moment later it
        // finds the subject configured and registers (idempotent). A compatibility an operator
        // set otherwise still fails, after the last attempt, with the client's message.
        if (attempt >= REGISTER_ATTEMPTS || !isConcurrentSetUp(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, REGISTER_RETRY_MS * attempt));
      }
    }
  }

  async typeOf(id: number): Promise<avsc.Type> {
    // The client parses with createSchemaRegistry's options: its Avro schemas are avsc types.
    return (await this.client.getSchema(id)) as unknown as avsc.Type;
  }
}
