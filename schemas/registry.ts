import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avsc from 'avsc';
import { Agent } from 'node:https';
import { ServiceAccessError } from '../processor/errors.ts';
import { endpointOf, tlsAccessError } from '../processor/access-failures.ts';
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
 * How saldo authenticates to the registry and which CA it trusts: HTTP basic auth, and a CA (PEM
 * text) for an https registry whose certificate the system's CAs do not vouch for. Plain data
 * (stream threads are handed it). Holds a secret: never log it.
 */
export interface RegistrySecurity {
  username?: string;
  password?: string;
  ca?: string;
}

/**
 * Every request bounded in time and retried with backoff on timeouts and 5xx, POSTs and PUTs
 * included: the calls this client makes are idempotent (registering a schema again returns its
 * id; setting a subject's compatibility again changes nothing; compatibility checks only read).
 * A 401 or a refused certificate is not retried: no retry can mend either.
 */
export function registryClientArgs(
  url: string,
  requestTimeoutMs: number = REGISTRY_REQUEST_TIMEOUT_MS,
  security?: RegistrySecurity,
): RegistryClientArgs {
  const { username, password, ca } = security ?? {};
  return {
    host: url,
    ...(username === undefined || password === undefined ? {} : { auth: { username, password } }),
    ...(ca === undefined || !url.startsWith('https:') ? {} : { agent: new Agent({ ca, keepAlive: true }) }),
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
export function createSchemaRegistry(url: string, security?: RegistrySecurity): SchemaRegistry {
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
  return new SchemaRegistry(registryClientArgs(url, REGISTRY_REQUEST_TIMEOUT_MS, security), {
    [SchemaType.AVRO]: avroOptions,
  });
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

/**
 * The ServiceAccessError a registry client's error amounts to: 401/403 (credentials refused) or a
 * failed TLS handshake; undefined for any other error.
 */
export function registryAccessFailure(
  error: unknown,
  url: string,
  security: RegistrySecurity | undefined,
): ServiceAccessError | undefined {
  if (error instanceof ServiceAccessError) return error;
  const status = (error as { status?: unknown } | undefined)?.status;
  const endpoint = endpointOf(url, '(the registry URL)');
  if (status === 401 || status === 403) {
    return new ServiceAccessError(
      { service: 'schema registry', kind: 'authentication', endpoint, user: security?.username ?? '(none)' },
      `HTTP ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}`,
      'check SALDO_SCHEMA_REGISTRY_USERNAME and SALDO_SCHEMA_REGISTRY_PASSWORD(_FILE)',
      error,
    );
  }
  return tlsAccessError(
    error,
    'schema registry',
    endpoint,
    "check SCHEMA_REGISTRY_URL and SALDO_SCHEMA_REGISTRY_TLS_CA_FILE (the CA that signed the registry's certificate)",
  );
}

/** The schema registry port of Avro serdes, over a Confluent-compatible registry's HTTP API. */
export class ConfluentAvroRegistry implements AvroSchemaRegistry {
  readonly client: SchemaRegistry;
  readonly #url: string;
  readonly #security: RegistrySecurity | undefined;

  constructor(
    client: SchemaRegistry,
    access: { url: string; security?: RegistrySecurity | undefined } = { url: '' },
  ) {
    this.client = client;
    this.#url = access.url;
    this.#security = access.security;
  }

  static connect(url: string, security?: RegistrySecurity): ConfluentAvroRegistry {
    return new ConfluentAvroRegistry(createSchemaRegistry(url, security), { url, security });
  }

  async register(subject: string, schema: AvroSchemaDefinition): Promise<number> {
    try {
      return await this.#register(subject, schema);
    } catch (error) {
      throw registryAccessFailure(error, this.#url, this.#security) ?? error;
    }
  }

  async #register(subject: string, schema: AvroSchemaDefinition): Promise<number> {
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
    try {
      // The client parses with createSchemaRegistry's options: its Avro schemas are avsc types.
      return (await this.client.getSchema(id)) as unknown as avsc.Type;
    } catch (error) {
      throw registryAccessFailure(error, this.#url, this.#security) ?? error;
    }
  }
}
