import { describe, expect, it } from 'vitest';
import {
  kafkaSecurityFromEnv,
  redisSecurityFromEnv,
  registrySecurityFromEnv,
  type ReadText,
} from '../../../cli/security-env.ts';
import { streamsConfigFrom } from '../../../cli/env-config.ts';
import { validateStreamsConfig, ConfigError } from '../../../processor/index.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

/** Files by path; any other path fails as a missing file does. */
function files(contents: Record<string, string>): ReadText {
  return (path) => {
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
}

const read = files({
  '/secrets/kafka.password': 'from-file\n',
  '/secrets/empty.password': '\n',
  '/secrets/ca.pem': CA,
  '/secrets/client.pem': CA,
  '/secrets/client.key': KEY,
  '/secrets/not-pem.txt': 'hello',
});

/** The problems a ConfigError lists, one per line. */
function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message.split('\n').slice(1);
  }
  throw new Error('expected a ConfigError');
}

describe('kafkaSecurityFromEnv', () => {
  it('is undefined for plain Kafka, by default or named', () => {
    expect(kafkaSecurityFromEnv({}, read)).toBeUndefined();
    expect(kafkaSecurityFromEnv({ SALDO_KAFKA_SECURITY_PROTOCOL: 'plaintext' }, read)).toBeUndefined();
  });

  it('reads SASL_SSL with SCRAM-SHA-512 by default, the password from its file, the CA as PEM text', () => {
    const security = kafkaSecurityFromEnv(
      {
        SALDO_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        SALDO_KAFKA_SASL_USERNAME: 'saldo',
        SALDO_KAFKA_SASL_PASSWORD_FILE: '/secrets/kafka.password',
        SALDO_KAFKA_TLS_CA_FILE: '/secrets/ca.pem',
      },
      read,
    );
    expect(security).toEqual({
      protocol: 'SASL_SSL',
      sasl: { mechanism: 'scram-sha-512', username: 'saldo', password: 'from-file' },
      tls: { ca: CA },
    });
  });

  it('takes a password as given, mechanisms in any case, and mutual TLS', () => {
    expect(
      kafkaSecurityFromEnv(
        {
          SALDO_KAFKA_SECURITY_PROTOCOL: 'sasl_plaintext',
          SALDO_KAFKA_SASL_MECHANISM: 'PLAIN',
          SALDO_KAFKA_SASL_USERNAME: 'app',
          SALDO_KAFKA_SASL_PASSWORD: ' spaced secret ',
        },
        read,
      ),
    ).toEqual({
      protocol: 'SASL_PLAINTEXT',
      sasl: { mechanism: 'plain', username: 'app', password: ' spaced secret ' },
    });
    expect(
      kafkaSecurityFromEnv(
        {
          SALDO_KAFKA_SECURITY_PROTOCOL: 'SSL',
          SALDO_KAFKA_TLS_CERT_FILE: '/secrets/client.pem',
          SALDO_KAFKA_TLS_KEY_FILE: '/secrets/client.key',
        },
        read,
      ),
    ).toEqual({ protocol: 'SSL', tls: { cert: CA, key: KEY } });
  });

  it('reports every problem at once, naming the variables and never a password', () => {
    const problems = problemsOf(() =>
      kafkaSecurityFromEnv(
        {
          SALDO_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          SALDO_KAFKA_SASL_MECHANISM: 'gssapi',
          SALDO_KAFKA_TLS_CA_FILE: '/secrets/missing.pem',
          SALDO_KAFKA_TLS_CERT_FILE: '/secrets/client.pem',
        },
        read,
      ),
    );
    expect(problems).toEqual([
      "  - SALDO_KAFKA_SASL_MECHANISM: 'gssapi' is not one of scram-sha-512, scram-sha-256, plain",
      '  - SALDO_KAFKA_SASL_USERNAME: SASL_SSL needs a username',
      '  - SALDO_KAFKA_SASL_PASSWORD (or SALDO_KAFKA_SASL_PASSWORD_FILE): SASL_SSL needs a password',
      '  - SALDO_KAFKA_TLS_CA_FILE: cannot read /secrets/missing.pem (ENOENT)',
      '  - SALDO_KAFKA_TLS_CERT_FILE and SALDO_KAFKA_TLS_KEY_FILE: mutual TLS needs both',
    ]);
  });

  it('refuses a password given twice, an empty password file and a CA file that is not PEM', () => {
    const problems = problemsOf(() =>
      kafkaSecurityFromEnv(
        {
          SALDO_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          SALDO_KAFKA_SASL_USERNAME: 'saldo',
          SALDO_KAFKA_SASL_PASSWORD: 'hunter2',
          SALDO_KAFKA_SASL_PASSWORD_FILE: '/secrets/kafka.password',
          SALDO_KAFKA_TLS_CA_FILE: '/secrets/not-pem.txt',
        },
        read,
      ),
    );
    expect(problems).toEqual([
      '  - SALDO_KAFKA_SASL_PASSWORD and SALDO_KAFKA_SASL_PASSWORD_FILE are both set: give one',
      '  - SALDO_KAFKA_TLS_CA_FILE: /secrets/not-pem.txt holds no PEM block (-----BEGIN ...)',
    ]);
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(
      problemsOf(() =>
        kafkaSecurityFromEnv(
          {
            SALDO_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
            SALDO_KAFKA_SASL_USERNAME: 'saldo',
            SALDO_KAFKA_SASL_PASSWORD_FILE: '/secrets/empty.password',
          },
          read,
        ),
      ),
    ).toEqual(['  - SALDO_KAFKA_SASL_PASSWORD_FILE: /secrets/empty.password is empty']);
  });

  it('refuses credentials and certificates the protocol would not use, and unknown protocols', () => {
    expect(
      problemsOf(() =>
        kafkaSecurityFromEnv(
          {
            SALDO_KAFKA_SASL_USERNAME: 'saldo',
            SALDO_KAFKA_SASL_PASSWORD: 'x',
            SALDO_KAFKA_TLS_CA_FILE: '/secrets/ca.pem',
          },
          read,
        ),
      ),
    ).toEqual([
      '  - SALDO_KAFKA_SASL_USERNAME, SALDO_KAFKA_SASL_PASSWORD set but SALDO_KAFKA_SECURITY_PROTOCOL is PLAINTEXT: they would not be used (SASL_SSL or SASL_PLAINTEXT uses them)',
      '  - SALDO_KAFKA_TLS_CA_FILE set but SALDO_KAFKA_SECURITY_PROTOCOL is PLAINTEXT: they would not be used (SSL or SASL_SSL uses them)',
    ]);
    // a mechanism set by default, whatever the protocol, is no mistake
    expect(kafkaSecurityFromEnv({ SALDO_KAFKA_SASL_MECHANISM: 'scram-sha-512' }, read)).toBeUndefined();
    expect(problemsOf(() => kafkaSecurityFromEnv({ SALDO_KAFKA_SECURITY_PROTOCOL: 'TLS' }, read))).toEqual([
      "  - SALDO_KAFKA_SECURITY_PROTOCOL: 'TLS' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
    ]);
  });

  it('reaches the engine config through streamsConfigFrom, which validates it', () => {
    const input = streamsConfigFrom(
      {
        SALDO_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        SALDO_KAFKA_SASL_USERNAME: 'saldo',
        SALDO_KAFKA_SASL_PASSWORD: 'secret',
      },
      {},
    );
    expect(validateStreamsConfig(input).kafkaSecurity).toEqual({
      protocol: 'SASL_SSL',
      sasl: { mechanism: 'scram-sha-512', username: 'saldo', password: 'secret' },
    });
    expect(streamsConfigFrom({}, {}).kafkaSecurity).toBeUndefined();
  });
});

describe('redisSecurityFromEnv', () => {
  it('is undefined without settings; reads a password, a user and a CA for rediss://', () => {
    expect(redisSecurityFromEnv({}, 'redis://127.0.0.1:6379', read)).toBeUndefined();
    expect(
      redisSecurityFromEnv(
        {
          SALDO_REDIS_USERNAME: 'saldo',
          SALDO_REDIS_PASSWORD_FILE: '/secrets/kafka.password',
          SALDO_REDIS_TLS_CA_FILE: '/secrets/ca.pem',
        },
        'rediss://127.0.0.1:6379',
        read,
      ),
    ).toEqual({ username: 'saldo', password: 'from-file', ca: CA });
  });

  it('refuses a CA without rediss:// and a user without a password', () => {
    expect(
      problemsOf(() =>
        redisSecurityFromEnv({ SALDO_REDIS_TLS_CA_FILE: '/secrets/ca.pem' }, 'redis://h:1', read),
      ),
    ).toEqual([
      '  - SALDO_REDIS_TLS_CA_FILE is set but the Redis URL is not rediss://: use rediss:// for TLS',
    ]);
    expect(
      problemsOf(() => redisSecurityFromEnv({ SALDO_REDIS_USERNAME: 'saldo' }, 'redis://h:1', read)),
    ).toEqual(['  - SALDO_REDIS_USERNAME: a user needs SALDO_REDIS_PASSWORD (or SALDO_REDIS_PASSWORD_FILE)']);
  });
});

describe('registrySecurityFromEnv', () => {
  it('reads basic-auth credentials and a CA for https', () => {
    expect(registrySecurityFromEnv({}, 'http://r:1', read)).toBeUndefined();
    expect(
      registrySecurityFromEnv(
        {
          SALDO_SCHEMA_REGISTRY_USERNAME: 'saldo',
          SALDO_SCHEMA_REGISTRY_PASSWORD: 'secret',
          SALDO_SCHEMA_REGISTRY_TLS_CA_FILE: '/secrets/ca.pem',
        },
        'https://r:1/apis/ccompat/v7',
        read,
      ),
    ).toEqual({ username: 'saldo', password: 'secret', ca: CA });
  });

  it('wants both halves of basic auth, and https for a CA', () => {
    expect(
      problemsOf(() =>
        registrySecurityFromEnv({ SALDO_SCHEMA_REGISTRY_PASSWORD: 'secret' }, 'https://r:1', read),
      ),
    ).toEqual([
      '  - SALDO_SCHEMA_REGISTRY_USERNAME and SALDO_SCHEMA_REGISTRY_PASSWORD (or _FILE): basic auth needs both',
    ]);
    expect(
      problemsOf(() =>
        registrySecurityFromEnv({ SALDO_SCHEMA_REGISTRY_TLS_CA_FILE: '/secrets/ca.pem' }, 'http://r:1', read),
      ),
    ).toEqual(['  - SALDO_SCHEMA_REGISTRY_TLS_CA_FILE is set but the registry URL is not https://']);
  });
});
