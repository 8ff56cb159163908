/**
 * How saldo's Kafka clients authenticate and encrypt: every client (the engine's adapter, the
 * Kafka client thread, stream threads, the operators' commands) is built from one KafkaSecurity,
 * plain data that crosses to worker threads. PEM texts, not paths: files are read once at start
 * (cli/security-env.ts).
 */
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { z } from 'zod';
import { closedAtOnce, errorChain, tlsAccessError } from '../access-failures.ts';
import { ServiceAccessError } from '../errors.ts';

export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export const KAFKA_SASL_MECHANISMS = ['scram-sha-512', 'scram-sha-256', 'plain'] as const;
export type KafkaSecurityProtocol = (typeof KAFKA_SECURITY_PROTOCOLS)[number];
export type KafkaSaslMechanism = (typeof KAFKA_SASL_MECHANISMS)[number];

export interface KafkaSecurity {
  protocol: KafkaSecurityProtocol;
  /** With SASL_PLAINTEXT and SASL_SSL only. */
  sasl?: { mechanism: KafkaSaslMechanism; username: string; password: string };
  /**
   * With SSL and SASL_SSL only: the CA to trust (PEM; the system's CAs otherwise), and a client
   * certificate and key (PEM) for mutual TLS.
   */
  tls?: { ca?: string; cert?: string; key?: string };
}

export const PLAINTEXT: KafkaSecurity = { protocol: 'PLAINTEXT' };

export function usesTls(protocol: KafkaSecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

export function usesSasl(protocol: KafkaSecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

/** The engine config's `kafkaSecurity`: SASL settings exactly with a SASL protocol, TLS with TLS. */
export const kafkaSecuritySchema = z
  .object({
    protocol: z.enum(KAFKA_SECURITY_PROTOCOLS),
    sasl: z
      .object({
        mechanism: z.enum(KAFKA_SASL_MECHANISMS),
        username: z.string().min(1),
        password: z.string().min(1),
      })
      .optional(),
    tls: z
      .object({
        ca: z.string().min(1).optional(),
        cert: z.string().min(1).optional(),
        key: z.string().min(1).optional(),
      })
      .optional(),
  })
  .superRefine((security, ctx) => {
    if (usesSasl(security.protocol) !== (security.sasl !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sasl'],
        message: usesSasl(security.protocol)
          ? `${security.protocol} needs a SASL mechanism, username and password`
          : `SASL settings need SASL_PLAINTEXT or SASL_SSL, not ${security.protocol}`,
      });
    }
    if (security.tls !== undefined && !usesTls(security.protocol)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: `TLS settings need SSL or SASL_SSL, not ${security.protocol}`,
      });
    }
    if ((security.tls?.cert === undefined) !== (security.tls?.key === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: 'a client certificate needs its key, and a key its certificate',
      });
    }
  });

/** The `ssl` and `sasl` options of a kafkajs client. */
export function kafkaJsSecurityOptions(
  security: KafkaSecurity | undefined,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security === undefined || security.protocol === 'PLAINTEXT') return {};
  const options: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (usesTls(security.protocol)) {
    const tls = security.tls ?? {};
    options.ssl =
      tls.ca === undefined && tls.cert === undefined
        ? true
        : {
            ...(tls.ca === undefined ? {} : { ca: [tls.ca] }),
            ...(tls.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls.key === undefined ? {} : { key: tls.key }),
          };
  }
  if (security.sasl !== undefined) {
    const { mechanism, username, password } = security.sasl;
    options.sasl = { mechanism, username, password } as SASLOptions;
  }
  return options;
}

function brokerOf(error: unknown, brokers: readonly string[]): string {
  for (const link of errorChain(error)) {
    const broker = (link as { broker?: unknown }).broker;
    if (typeof broker === 'string' && broker !== '') return broker;
  }
  return brokers.join(',');
}

/**
 * The ServiceAccessError an error from a kafkajs client amounts to (SASL authentication refused, a
 * TLS handshake failed), or undefined when it is another failure.
 */
export function kafkaAccessFailure(
  error: unknown,
  security: KafkaSecurity | undefined,
  brokers: readonly string[],
): ServiceAccessError | undefined {
  if (error instanceof ServiceAccessError) return error;
  const endpoint = brokerOf(error, brokers);
  const sasl = errorChain(error).find(
    (link) =>
      (link as { name?: unknown }).name === 'KafkaJSSASLAuthenticationError' ||
      (link as { type?: unknown }).type === 'SASL_AUTHENTICATION_FAILED',
  );
  if (sasl !== undefined) {
    return new ServiceAccessError(
      {
        service: 'kafka',
        kind: 'authentication',
        endpoint,
        ...(security?.sasl ? { user: security.sasl.username } : {}),
      },
      String(sasl.message),
      'check SALDO_KAFKA_SASL_USERNAME, SALDO_KAFKA_SASL_PASSWORD(_FILE) and SALDO_KAFKA_SASL_MECHANISM',
      error,
    );
  }
  return tlsAccessError(
    error,
    'kafka',
    endpoint,
    "check SALDO_KAFKA_SECURITY_PROTOCOL and SALDO_KAFKA_TLS_CA_FILE (the CA that signed the brokers' certificates)",
  );
}

/**
 * Connects once, without retries, to learn whether the brokers take these credentials and this
 * TLS set-up: kafkajs retries connection errors (a TLS handshake refused on the certificate is one)
 * with backoff, and every client of an instance would do so on its own. Throws a
 * ServiceAccessError when they do not; any other failure (the broker not up yet, say) is left to
 * the clients' own retries. Nothing to check without security.
 */
export async function checkKafkaAccess(opts: {
  clientId: string;
  brokers: string[];
  security: KafkaSecurity | undefined;
}): Promise<void> {
  const { security, brokers } = opts;
  if (security === undefined || security.protocol === 'PLAINTEXT') return;
  const kafka = new Kafka({
    clientId: `${opts.clientId}-access-check`,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    ...kafkaJsSecurityOptions(security),
  });
  for (let attempt = 1; ; attempt++) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      // A request past the handshake: a SASL listener answers ApiVersions to anyone.
      await admin.describeCluster();
      return;
    } catch (error) {
      const failure = kafkaAccessFailure(error, security, brokers);
      if (failure !== undefined) throw failure;
      if (!closedAtOnce(error)) return;
      if (attempt >= ACCESS_CHECK_ATTEMPTS) {
        throw new ServiceAccessError(
          { service: 'kafka', kind: 'protocol', endpoint: brokerOf(error, brokers) },
          `${security.protocol} is not what the listener speaks`,
          'check SALDO_KAFKA_SECURITY_PROTOCOL against the listener (TLS on both sides or neither, SASL on both sides or neither)',
          error,
        );
      }
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A connection closed at once is taken for a protocol mismatch when it happens this many times. */
const ACCESS_CHECK_ATTEMPTS = 2;
