import { readFileSync } from 'node:fs';
import {
  ConfigError,
  KAFKA_SASL_MECHANISMS,
  KAFKA_SECURITY_PROTOCOLS,
  usesSasl,
  usesTls,
  type KafkaSaslMechanism,
  type KafkaSecurity,
  type KafkaSecurityProtocol,
} from '../processor/index.ts';
import type { RegistrySecurity } from '../schemas/index.ts';
import type { RedisSecurity } from '../topologies/balances/redis-connection.ts';

/**
 * The security settings of saldo's clients, from the environment (docs/security.md): Kafka's
 * SALDO_KAFKA_*, Redis' SALDO_REDIS_*, the registry's SALDO_SCHEMA_REGISTRY_*. Each *_PASSWORD may
 * be given as *_PASSWORD_FILE (a mounted Secret), and certificates always as files; files are read
 * here, once. Every problem is reported at once, naming the variable, never a secret's value.
 */

/** Reads a file's text; tests pass their own. */
export type ReadText = (path: string) => string;

const readText: ReadText = (path) => readFileSync(path, 'utf8');

class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(): void {
    if (this.list.length > 0) {
      throw new ConfigError(
        `invalid saldo security settings:\n${this.list.map((problem) => `  - ${problem}`).join('\n')}`,
      );
    }
  }
}

function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function readFileSetting(path: string, name: string, read: ReadText, problems: Problems): string | undefined {
  try {
    return read(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    problems.add(`${name}: cannot read ${path} (${code})`);
    return undefined;
  }
}

/** `name` or `name_FILE` (its content, without the trailing line break), not both. */
function secret(
  env: NodeJS.ProcessEnv,
  name: string,
  read: ReadText,
  problems: Problems,
): string | undefined {
  // A password is taken as given (spaces may belong to it); only an empty one counts as unset.
  const direct = env[name] === '' ? undefined : env[name];
  const file = setting(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) {
    problems.add(`${name} and ${name}_FILE are both set: give one`);
    return undefined;
  }
  if (file === undefined) return direct;
  const text = readFileSetting(file, `${name}_FILE`, read, problems);
  if (text === undefined) return undefined;
  const value = text.replace(/\r?\n$/, '');
  if (value === '') problems.add(`${name}_FILE: ${file} is empty`);
  return value === '' ? undefined : value;
}

/** A PEM file's text, checked to hold a PEM block. */
function pem(env: NodeJS.ProcessEnv, name: string, read: ReadText, problems: Problems): string | undefined {
  const path = setting(env, name);
  if (path === undefined) return undefined;
  const text = readFileSetting(path, name, read, problems);
  if (text === undefined) return undefined;
  if (!text.includes('-----BEGIN ')) {
    problems.add(`${name}: ${path} holds no PEM block (-----BEGIN ...)`);
    return undefined;
  }
  return text;
}

function setNames(env: NodeJS.ProcessEnv, names: readonly string[]): string[] {
  return names.filter((name) => setting(env, name) !== undefined);
}

// The mechanism alone is no mistake: a deployment may set it by default, whatever the protocol.
const SASL_VARIABLES = [
  'SALDO_KAFKA_SASL_USERNAME',
  'SALDO_KAFKA_SASL_PASSWORD',
  'SALDO_KAFKA_SASL_PASSWORD_FILE',
];
const KAFKA_TLS_VARIABLES = [
  'SALDO_KAFKA_TLS_CA_FILE',
  'SALDO_KAFKA_TLS_CERT_FILE',
  'SALDO_KAFKA_TLS_KEY_FILE',
];

/**
 * SALDO_KAFKA_SECURITY_PROTOCOL (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL; default PLAINTEXT),
 * SALDO_KAFKA_SASL_MECHANISM (scram-sha-512 by default, scram-sha-256, plain),
 * SALDO_KAFKA_SASL_USERNAME, SALDO_KAFKA_SASL_PASSWORD(_FILE), SALDO_KAFKA_TLS_CA_FILE,
 * SALDO_KAFKA_TLS_CERT_FILE and SALDO_KAFKA_TLS_KEY_FILE. Undefined for plain Kafka.
 */
export function kafkaSecurityFromEnv(
  env: NodeJS.ProcessEnv,
  read: ReadText = readText,
): KafkaSecurity | undefined {
  const problems = new Problems();
  const rawProtocol = setting(env, 'SALDO_KAFKA_SECURITY_PROTOCOL')?.toUpperCase() ?? 'PLAINTEXT';
  if (!(KAFKA_SECURITY_PROTOCOLS as readonly string[]).includes(rawProtocol)) {
    problems.add(
      `SALDO_KAFKA_SECURITY_PROTOCOL: '${rawProtocol}' is not one of ${KAFKA_SECURITY_PROTOCOLS.join(', ')}`,
    );
    problems.throwIfAny();
  }
  const protocol = rawProtocol as KafkaSecurityProtocol;
  const security: KafkaSecurity = { protocol };
  if (usesSasl(protocol)) {
    const mechanism = setting(env, 'SALDO_KAFKA_SASL_MECHANISM')?.toLowerCase() ?? 'scram-sha-512';
    if (!(KAFKA_SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
      problems.add(
        `SALDO_KAFKA_SASL_MECHANISM: '${mechanism}' is not one of ${KAFKA_SASL_MECHANISMS.join(', ')}`,
      );
    }
    const username = setting(env, 'SALDO_KAFKA_SASL_USERNAME');
    if (username === undefined) problems.add(`SALDO_KAFKA_SASL_USERNAME: ${protocol} needs a username`);
    const password = secret(env, 'SALDO_KAFKA_SASL_PASSWORD', read, problems);
    const passwordGiven = setNames(env, ['SALDO_KAFKA_SASL_PASSWORD', 'SALDO_KAFKA_SASL_PASSWORD_FILE']);
    if (password === undefined && passwordGiven.length === 0) {
      problems.add(
        `SALDO_KAFKA_SASL_PASSWORD (or SALDO_KAFKA_SASL_PASSWORD_FILE): ${protocol} needs a password`,
      );
    }
    if (username !== undefined && password !== undefined) {
      security.sasl = { mechanism: mechanism as KafkaSaslMechanism, username, password };
    }
  } else {
    const unused = setNames(env, SASL_VARIABLES);
    if (unused.length > 0) {
      problems.add(
        `${unused.join(', ')} set but SALDO_KAFKA_SECURITY_PROTOCOL is ${protocol}: they would not be used (SASL_SSL or SASL_PLAINTEXT uses them)`,
      );
    }
  }
  if (usesTls(protocol)) {
    const ca = pem(env, 'SALDO_KAFKA_TLS_CA_FILE', read, problems);
    const cert = pem(env, 'SALDO_KAFKA_TLS_CERT_FILE', read, problems);
    const key = pem(env, 'SALDO_KAFKA_TLS_KEY_FILE', read, problems);
    const certGiven = setting(env, 'SALDO_KAFKA_TLS_CERT_FILE') !== undefined;
    if (certGiven !== (setting(env, 'SALDO_KAFKA_TLS_KEY_FILE') !== undefined)) {
      problems.add('SALDO_KAFKA_TLS_CERT_FILE and SALDO_KAFKA_TLS_KEY_FILE: mutual TLS needs both');
    }
    if (ca !== undefined || cert !== undefined || key !== undefined) {
      security.tls = {
        ...(ca === undefined ? {} : { ca }),
        ...(cert === undefined ? {} : { cert }),
        ...(key === undefined ? {} : { key }),
      };
    }
  } else {
    const unused = setNames(env, KAFKA_TLS_VARIABLES);
    if (unused.length > 0) {
      problems.add(
        `${unused.join(', ')} set but SALDO_KAFKA_SECURITY_PROTOCOL is ${protocol}: they would not be used (SSL or SASL_SSL uses them)`,
      );
    }
  }
  problems.throwIfAny();
  return protocol === 'PLAINTEXT' ? undefined : security;
}

/**
 * SALDO_REDIS_USERNAME (an ACL user; `default` otherwise), SALDO_REDIS_PASSWORD(_FILE) and
 * SALDO_REDIS_TLS_CA_FILE (with a rediss:// URL). Undefined when none is set.
 */
export function redisSecurityFromEnv(
  env: NodeJS.ProcessEnv,
  redisUrl: string,
  read: ReadText = readText,
): RedisSecurity | undefined {
  const problems = new Problems();
  const username = setting(env, 'SALDO_REDIS_USERNAME');
  const password = secret(env, 'SALDO_REDIS_PASSWORD', read, problems);
  const ca = pem(env, 'SALDO_REDIS_TLS_CA_FILE', read, problems);
  if (username !== undefined && password === undefined && problems.list.length === 0) {
    problems.add('SALDO_REDIS_USERNAME: a user needs SALDO_REDIS_PASSWORD (or SALDO_REDIS_PASSWORD_FILE)');
  }
  if (setting(env, 'SALDO_REDIS_TLS_CA_FILE') !== undefined && !redisUrl.startsWith('rediss://')) {
    problems.add('SALDO_REDIS_TLS_CA_FILE is set but the Redis URL is not rediss://: use rediss:// for TLS');
  }
  problems.throwIfAny();
  if (username === undefined && password === undefined && ca === undefined) return undefined;
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(ca === undefined ? {} : { ca }),
  };
}

/**
 * SALDO_SCHEMA_REGISTRY_USERNAME with SALDO_SCHEMA_REGISTRY_PASSWORD(_FILE) (HTTP basic auth), and
 * SALDO_SCHEMA_REGISTRY_TLS_CA_FILE (with an https URL). Undefined when none is set.
 */
export function registrySecurityFromEnv(
  env: NodeJS.ProcessEnv,
  registryUrl: string,
  read: ReadText = readText,
): RegistrySecurity | undefined {
  const problems = new Problems();
  const username = setting(env, 'SALDO_SCHEMA_REGISTRY_USERNAME');
  const password = secret(env, 'SALDO_SCHEMA_REGISTRY_PASSWORD', read, problems);
  const ca = pem(env, 'SALDO_SCHEMA_REGISTRY_TLS_CA_FILE', read, problems);
  if ((username === undefined) !== (password === undefined) && problems.list.length === 0) {
    problems.add(
      'SALDO_SCHEMA_REGISTRY_USERNAME and SALDO_SCHEMA_REGISTRY_PASSWORD (or _FILE): basic auth needs both',
    );
  }
  if (
    setting(env, 'SALDO_SCHEMA_REGISTRY_TLS_CA_FILE') !== undefined &&
    !registryUrl.startsWith('https://')
  ) {
    problems.add('SALDO_SCHEMA_REGISTRY_TLS_CA_FILE is set but the registry URL is not https://');
  }
  problems.throwIfAny();
  if (username === undefined && ca === undefined) return undefined;
  return {
    ...(username === undefined || password === undefined ? {} : { username, password }),
    ...(ca === undefined ? {} : { ca }),
  };
}
