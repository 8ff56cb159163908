// The secure platform's throwaway secrets: a CA, one server certificate for 127.0.0.1/localhost
// (every service uses it), a PKCS#12 keystore of it for Kafka, and random passwords. Made with
// openssl on the first `up --secure`, kept under <home>/secrets (mode 0700, files 0600) until
// `--fresh` wipes them with the data (Kafka's SCRAM users are written into its storage at format).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendLogLine } from './logs.ts';
import { findExecutable, runLogged } from './process.ts';

/** The user saldo authenticates as, to Kafka (SCRAM) and to the registry (basic auth). */
export const CLIENT_USER = 'saldo';
/** Kafka's own user: the broker authenticates to itself (inter-broker listener) with it. */
export const BROKER_USER = 'broker';

export interface PlatformSecrets {
  dir: string;
  /** The CA certificate (PEM) every client trusts. */
  caFile: string;
  /** The server certificate (PEM, SAN IP:127.0.0.1 and DNS:localhost) and its key (PKCS#8 PEM). */
  certFile: string;
  keyFile: string;
  /** The same certificate and key as a PKCS#12 keystore, for Kafka. */
  keystoreFile: string;
  keystorePasswordFile: string;
  /** Password files of the users. */
  kafkaBrokerPasswordFile: string;
  kafkaClientPasswordFile: string;
  redisPasswordFile: string;
  registryPasswordFile: string;
}

export function secretsPaths(homeDir: string): PlatformSecrets {
  const dir = join(homeDir, 'secrets');
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    keystoreFile: join(dir, 'server.p12'),
    keystorePasswordFile: join(dir, 'keystore.password'),
    kafkaBrokerPasswordFile: join(dir, 'kafka-broker.password'),
    kafkaClientPasswordFile: join(dir, 'kafka-saldo.password'),
    redisPasswordFile: join(dir, 'redis.password'),
    registryPasswordFile: join(dir, 'registry-saldo.password'),
  };
}

/** A password file's content, without the trailing newline. */
export function readSecret(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

// base64url: no character that needs quoting in server.properties, redis.conf or --add-scram.
function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const SERVER_EXTENSIONS = [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature,keyEncipherment',
  'extendedKeyUsage=serverAuth,clientAuth',
  'subjectAltName=IP:127.0.0.1,DNS:localhost',
].join('\n');

/** True when every file of a complete set is present. */
export function secretsComplete(secrets: PlatformSecrets): boolean {
  return [
    secrets.caFile,
    secrets.certFile,
    secrets.keyFile,
    secrets.keystoreFile,
    secrets.keystorePasswordFile,
    secrets.kafkaBrokerPasswordFile,
    secrets.kafkaClientPasswordFile,
    secrets.redisPasswordFile,
    secrets.registryPasswordFile,
  ].every((file) => existsSync(file));
}

/**
 * The secrets of the secure platform in `<home>/secrets`, made when missing (an incomplete set is
 * made anew). Returns their paths and whether they were made now.
 */
export async function ensureSecrets(
  homeDir: string,
  logFile: string,
  log: (line: string) => void,
): Promise<{ secrets: PlatformSecrets; created: boolean }> {
  const secrets = secretsPaths(homeDir);
  if (secretsComplete(secrets)) return { secrets, created: false };
  const openssl = findExecutable('openssl', ['/usr/bin/openssl']);
  if (openssl === undefined) {
    throw new Error(
      "openssl is not installed; it makes the secure platform's CA (apt-get install -y openssl)",
    );
  }
  rmSync(secrets.dir, { recursive: true, force: true });
  mkdirSync(secrets.dir, { recursive: true, mode: 0o700 });
  chmodSync(secrets.dir, 0o700);
  log(`secure platform: making a throwaway CA, a server certificate and passwords in ${secrets.dir}`);
  appendLogLine(logFile, `making the secure platform's CA and certificates with ${openssl}`);
  const run = (args: string[]) => runLogged(openssl, args, { cwd: secrets.dir, logFile, timeoutMs: 60_000 });
  const caKey = join(secrets.dir, 'ca.key');
  const csr = join(secrets.dir, 'server.csr');
  const extensions = join(secrets.dir, 'server.ext');
  writeFileSync(extensions, `${SERVER_EXTENSIONS}\n`);
  await run(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '825'].concat([
      '-subj',
      '/CN=saldo local platform CA',
      '-keyout',
      caKey,
      '-out',
      secrets.caFile,
    ]),
  );
  await run(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', '/CN=127.0.0.1'].concat([
      '-keyout',
      secrets.keyFile,
      '-out',
      csr,
    ]),
  );
  await run(
    ['x509', '-req', '-sha256', '-days', '825', '-in', csr, '-CA', secrets.caFile, '-CAkey', caKey].concat([
      '-CAcreateserial',
      '-extfile',
      extensions,
      '-out',
      secrets.certFile,
    ]),
  );
  const keystorePassword = newPassword();
  writePrivate(secrets.keystorePasswordFile, `${keystorePassword}\n`);
  await run(
    ['pkcs12', '-export', '-in', secrets.certFile, '-inkey', secrets.keyFile, '-name', 'server'].concat([
      '-out',
      secrets.keystoreFile,
      '-passout',
      `file:${secrets.keystorePasswordFile}`,
    ]),
  );
  for (const file of [caKey, secrets.keyFile, secrets.keystoreFile]) chmodSync(file, 0o600);
  rmSync(csr, { force: true });
  rmSync(extensions, { force: true });
  rmSync(join(secrets.dir, 'ca.srl'), { force: true });
  writePrivate(secrets.kafkaBrokerPasswordFile, `${newPassword()}\n`);
  writePrivate(secrets.kafkaClientPasswordFile, `${newPassword()}\n`);
  writePrivate(secrets.redisPasswordFile, `${newPassword()}\n`);
  writePrivate(secrets.registryPasswordFile, `${newPassword()}\n`);
  return { secrets, created: true };
}

export function wipeSecrets(homeDir: string): void {
  rmSync(secretsPaths(homeDir).dir, { recursive: true, force: true });
}
