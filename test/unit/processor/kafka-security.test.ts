import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { closedAtOnce, tlsFailureOf } from '../../../processor/access-failures.ts';
import { ConfigError, ServiceAccessError, validateStreamsConfig } from '../../../processor/index.ts';
import { REDACTED_PATHS } from '../../../processor/log.ts';
import {
  kafkaAccessFailure,
  kafkaJsSecurityOptions,
  type KafkaSecurity,
} from '../../../processor/kafka/security.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const SCRAM: KafkaSecurity = {
  protocol: 'SASL_SSL',
  sasl: { mechanism: 'scram-sha-512', username: 'saldo', password: 'hunter2' },
  tls: { ca: CA },
};

/** kafkajs' error for a refused SASL authentication (its types omit the constructor's message). */
function saslRefusal(message: string): Error {
  const Refusal = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
  return new Refusal(message);
}

/** A Node TLS verification error, as tls.connect raises it. */
function certificateError(): Error {
  return Object.assign(new Error('self-signed certificate in certificate chain'), {
    code: 'SELF_SIGNED_CERT_IN_CHAIN',
  });
}

describe('kafkaJsSecurityOptions', () => {
  it('adds nothing for plain Kafka', () => {
    expect(kafkaJsSecurityOptions(undefined)).toEqual({});
    expect(kafkaJsSecurityOptions({ protocol: 'PLAINTEXT' })).toEqual({});
  });

  it('gives kafkajs TLS with the CA and SASL with the mechanism and credentials', () => {
    expect(kafkaJsSecurityOptions(SCRAM)).toEqual({
      ssl: { ca: [CA] },
      sasl: { mechanism: 'scram-sha-512', username: 'saldo', password: 'hunter2' },
    });
  });

  it("trusts the system's CAs without a CA file; SASL_PLAINTEXT has no TLS; mTLS passes cert and key", () => {
    expect(kafkaJsSecurityOptions({ protocol: 'SSL' })).toEqual({ ssl: true });
    const plainSasl = kafkaJsSecurityOptions({
      protocol: 'SASL_PLAINTEXT',
      sasl: { mechanism: 'plain', username: 'u', password: 'p' },
    });
    expect(plainSasl.ssl).toBeUndefined();
    expect(kafkaJsSecurityOptions({ protocol: 'SSL', tls: { cert: 'C', key: 'K' } })).toEqual({
      ssl: { cert: 'C', key: 'K' },
    });
  });
});

describe('kafkaSecurity in the engine config', () => {
  const base = { applicationId: 'app', brokers: ['127.0.0.1:9092'], stateDir: '/tmp/s' };

  it('is optional and kept as given', () => {
    expect(validateStreamsConfig(base).kafkaSecurity).toBeUndefined();
    expect(validateStreamsConfig({ ...base, kafkaSecurity: SCRAM }).kafkaSecurity).toEqual(SCRAM);
  });

  it('refuses SASL without credentials, credentials without SASL, TLS without TLS; never echoes a password', () => {
    const attempt = (kafkaSecurity: unknown) => () =>
      validateStreamsConfig({ ...base, kafkaSecurity } as Parameters<typeof validateStreamsConfig>[0]);
    expect(attempt({ protocol: 'SASL_SSL' })).toThrow(/kafkaSecurity\.sasl: SASL_SSL needs a SASL mechanism/);
    expect(attempt({ ...SCRAM, protocol: 'SSL' })).toThrow(
      /SASL settings need SASL_PLAINTEXT or SASL_SSL, not SSL/,
    );
    expect(attempt({ ...SCRAM, protocol: 'SASL_PLAINTEXT' })).toThrow(/TLS settings need SSL or SASL_SSL/);
    expect(attempt({ protocol: 'SSL', tls: { cert: 'C' } })).toThrow(/a client certificate needs its key/);
    expect(attempt({ ...SCRAM, sasl: { ...SCRAM.sasl, password: '' } })).toThrow(ConfigError);
    try {
      attempt({ ...SCRAM, protocol: 'SSL' })();
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('kafkaAccessFailure', () => {
  it('names the service, the user and the broker of a refused SASL authentication', () => {
    const refused = saslRefusal(
      'SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    const failure = kafkaAccessFailure(refused, SCRAM, ['127.0.0.1:29092']);
    expect(failure).toBeInstanceOf(ServiceAccessError);
    expect(failure?.retriable).toBe(false);
    expect(failure).toMatchObject({ service: 'kafka', kind: 'authentication', user: 'saldo' });
    expect(failure?.message).toBe(
      "kafka: authentication failed for user 'saldo' at 127.0.0.1:29092: SASL SCRAM SHA512 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512; check SALDO_KAFKA_SASL_USERNAME, SALDO_KAFKA_SASL_PASSWORD(_FILE) and SALDO_KAFKA_SASL_MECHANISM",
    );
    expect(failure?.message).not.toContain('hunter2');
  });

  it('finds the refusal inside kafkajs retries, and a protocol error SASL_AUTHENTICATION_FAILED', () => {
    const wrapped = new KafkaJSNumberOfRetriesExceeded(saslRefusal('refused'), {
      retryCount: 0,
      retryTime: 100,
    });
    expect(kafkaAccessFailure(wrapped, SCRAM, ['b:1'])?.kind).toBe('authentication');
    // kafkajs builds it from the protocol's error entry (its types say Error | string)
    const protocol = new KafkaJSProtocolError({
      type: 'SASL_AUTHENTICATION_FAILED',
      code: 58,
      retriable: false,
      message: 'SASL Authentication failed',
    } as unknown as Error);
    expect(kafkaAccessFailure(protocol, SCRAM, ['b:1'])?.kind).toBe('authentication');
  });

  it('tells a TLS failure from a broker that is down', () => {
    const tls = new KafkaJSConnectionError('Connection error: self-signed certificate in certificate chain', {
      broker: '127.0.0.1:29092',
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    const failure = kafkaAccessFailure(tls, SCRAM, ['127.0.0.1:29092']);
    expect(failure?.kind).toBe('tls');
    expect(failure?.message).toMatch(
      /^kafka: TLS connection to 127\.0\.0\.1:29092 failed: Connection error: self-signed certificate in certificate chain; check SALDO_KAFKA_SECURITY_PROTOCOL and SALDO_KAFKA_TLS_CA_FILE/,
    );
    const down = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:29092', {
      broker: '127.0.0.1:29092',
      code: 'ECONNREFUSED',
    });
    expect(kafkaAccessFailure(down, SCRAM, ['127.0.0.1:29092'])).toBeUndefined();
  });
});

describe('access failures of any client', () => {
  it('finds TLS failures by code, in causes, and by message', () => {
    expect(tlsFailureOf(certificateError())).toBe('self-signed certificate in certificate chain');
    expect(tlsFailureOf(new Error('outer', { cause: certificateError() }))).toBe(
      'self-signed certificate in certificate chain',
    );
    expect(
      tlsFailureOf(
        new Error('Client network socket disconnected before secure TLS connection was established'),
      ),
    ).toBeDefined();
    expect(
      tlsFailureOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    ).toBeUndefined();
    expect(tlsFailureOf(new Error('the group is rebalancing'))).toBeUndefined();
  });

  it('tells a connection closed at once from one refused', () => {
    expect(closedAtOnce(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(
      closedAtOnce(Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' })),
    ).toBe(true);
    expect(closedAtOnce(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      false,
    );
  });

  it('words each kind of failure with its service, and redacts card numbers in the detail', () => {
    const protocol = new ServiceAccessError(
      { service: 'redis', kind: 'protocol', endpoint: 'redis://127.0.0.1:6379' },
      'plaintext is not what the server speaks',
      'check REDIS_URL',
    );
    expect(protocol.message).toBe(
      'redis: redis://127.0.0.1:6379 closes every connection at once: plaintext is not what the server speaks; check REDIS_URL',
    );
    const auth = new ServiceAccessError(
      { service: 'schema registry', kind: 'authentication', endpoint: 'https://r', user: 'saldo' },
      'card 4111111111111111 refused',
      'check it',
    );
    expect(auth.message).toBe(
      "schema registry: authentication failed for user 'saldo' at https://r: card 411111******1111 refused; check it",
    );
  });
});

describe('secrets in logs', () => {
  it('redacts passwords at any of the depths the security settings have', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink);
    logger.info(
      { password: 'p0', sasl: { password: 'p1' }, kafkaSecurity: { sasl: { password: 'p2' } } },
      'x',
    );
    logger.info({ config: { kafkaSecurity: { sasl: { password: 'p3' } } } }, 'y');
    const text = lines.join('');
    for (const secret of ['p0', 'p1', 'p2', 'p3']) expect(text).not.toContain(`"${secret}"`);
    expect(text).toContain('[redacted]');
  });
});
