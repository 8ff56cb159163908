// Schema registry: Apicurio Registry's Quarkus distribution from Maven Central, serving the
// Confluent-compatible API at /apis/ccompat/v7. Storage is H2 in files under the platform home so
// schema ids stay valid for records kept in Kafka between `up`/`down`.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendLogLine } from './logs.ts';
import { findJava } from './java.ts';
import { ensureCachedDir, DEPENDENCY_PLUGIN, runMaven } from './maven.ts';
import { HOST, servicePaths } from './options.ts';
import { runLogged } from './process.ts';
import { httpGetStatus, type ProbeHttps } from './probes.ts';
import { CLIENT_USER, readSecret, secretsPaths, type PlatformSecrets } from './secrets.ts';
import type { LaunchSpec, ServiceContext, ServiceSpec } from './service.ts';

/**
 * Maven Central (as reachable from here) has 3.0.9 (its parent POM is missing, so Maven cannot
 * resolve it), 3.3.2 and 3.3.3 of apicurio-registry-app; 3.1.x/3.2.x are absent. 3.3.x also has
 * the ccompat fixes of 3.3.0. It needs Java 21+.
 */
export const APICURIO_VERSION = '3.3.3';
export const APICURIO_MIN_JAVA = 21;
export const CCOMPAT_PATH = '/apis/ccompat/v7';

/** `<cache>/apicurio-registry-<version>/quarkus-app/quarkus-run.jar`, fetched on first use. */
export async function ensureApicurio(
  cacheDir: string,
  logFile: string,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<string> {
  const dir = join(cacheDir, `apicurio-registry-${APICURIO_VERSION}`);
  const coordinates = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
  await ensureCachedDir(dir, `${coordinates}\n`, async (tmp, work) => {
    log(
      `registry: fetching Apicurio Registry ${APICURIO_VERSION} (~160 MB) with Maven into ${dir} (first run only)`,
    );
    appendLogLine(logFile, `fetching ${coordinates} with Maven`);
    const download = join(work, 'download');
    await runMaven(
      [`${DEPENDENCY_PLUGIN}:copy`, `-Dartifact=${coordinates}`, `-DoutputDirectory=${download}`],
      {
        localRepo: join(work, 'maven-repo'),
        cwd: work,
        logFile,
        ...(signal === undefined ? {} : { signal }),
      },
    );
    const archive = readdirSync(download).find((name) => name.endsWith('.tar.gz'));
    if (archive === undefined) throw new Error(`Maven finished but no .tar.gz is in ${download}`);
    const app = join(tmp, 'quarkus-app');
    mkdirSync(app, { recursive: true });
    await runLogged('tar', ['-xzf', join(download, archive), '-C', app], {
      cwd: work,
      logFile,
      timeoutMs: 10 * 60_000,
      ...(signal === undefined ? {} : { signal }),
    });
    if (!existsSync(join(app, 'quarkus-run.jar')))
      throw new Error(`quarkus-run.jar missing after unpacking ${archive}`);
  });
  return join(dir, 'quarkus-app', 'quarkus-run.jar');
}

/**
 * The secure platform's registry: https only, with the platform's certificate, and HTTP basic auth
 * on the APIs against Quarkus' embedded user store (quarkus-elytron-security-properties-file is in
 * Apicurio's distribution; no OIDC server needed). One user, `saldo`, with Apicurio's admin role.
 */
export function secureRegistryEnv(port: number, secrets: PlatformSecrets): Record<string, string> {
  const user = CLIENT_USER.toUpperCase();
  return {
    QUARKUS_HTTP_SSL_PORT: String(port),
    QUARKUS_HTTP_PORT: '0',
    QUARKUS_HTTP_INSECURE_REQUESTS: 'disabled',
    QUARKUS_HTTP_SSL_CERTIFICATE_FILES: secrets.certFile,
    QUARKUS_HTTP_SSL_CERTIFICATE_KEY_FILES: secrets.keyFile,
    // Build-time fixed in Quarkus (it warns), but Apicurio's authentication chain reads it.
    QUARKUS_HTTP_AUTH_BASIC: 'true',
    QUARKUS_SECURITY_USERS_EMBEDDED_ENABLED: 'true',
    QUARKUS_SECURITY_USERS_EMBEDDED_PLAIN_TEXT: 'true',
    [`QUARKUS_SECURITY_USERS_EMBEDDED_USERS_${user}`]: readSecret(secrets.registryPasswordFile),
    [`QUARKUS_SECURITY_USERS_EMBEDDED_ROLES_${user}`]: 'sr-admin',
    QUARKUS_HTTP_AUTH_PERMISSION_SALDO_PATHS: '/apis/*',
    QUARKUS_HTTP_AUTH_PERMISSION_SALDO_POLICY: 'authenticated',
  };
}

export function registryService(context: ServiceContext): ServiceSpec {
  const { options, log, signal } = context;
  const paths = servicePaths(options.homeDir, 'registry');
  const secrets = options.secure ? secretsPaths(options.homeDir) : undefined;
  const scheme = secrets === undefined ? 'http' : 'https';
  const subjectsUrl = `${scheme}://${HOST}:${options.registryPort}${CCOMPAT_PATH}/subjects`;
  const probeHttps = (): ProbeHttps | undefined =>
    secrets === undefined
      ? undefined
      : {
          ca: readFileSync(secrets.caFile, 'utf8'),
          username: CLIENT_USER,
          password: readSecret(secrets.registryPasswordFile),
        };

  return {
    name: 'registry',
    endpoint: `${scheme}://${HOST}:${options.registryPort}${CCOMPAT_PATH}`,
    paths,
    ports: [options.registryPort],
    processHint: 'quarkus-run.jar',

    async prepare(): Promise<LaunchSpec> {
      const java = findJava(APICURIO_MIN_JAVA, 'SALDO_REGISTRY_JAVA_HOME');
      const jar = await ensureApicurio(options.cacheDir, paths.logFile, log, signal);
      mkdirSync(paths.dataDir, { recursive: true });
      appendLogLine(
        paths.logFile,
        `starting Apicurio Registry ${APICURIO_VERSION} with ${java.java} (Java ${java.major})`,
      );
      return {
        command: java.java,
        // C1 only and the serial GC: a dev registry needs a quick start on few cores, not peak speed
        args: [
          '-Xms128m',
          '-Xmx512m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-Djava.awt.headless=true',
          '-jar',
          jar,
        ],
        env: {
          ...process.env,
          QUARKUS_HTTP_HOST: HOST,
          QUARKUS_HTTP_PORT: String(options.registryPort),
          // the management interface (health, metrics) would otherwise bind 0.0.0.0:9000
          QUARKUS_MANAGEMENT_HOST: HOST,
          QUARKUS_MANAGEMENT_PORT: '0',
          APICURIO_STORAGE_KIND: 'sql',
          APICURIO_STORAGE_SQL_KIND: 'h2',
          APICURIO_DATASOURCE_URL: `jdbc:h2:file:${join(paths.dataDir, 'registry')}`,
          // allow DELETE /subjects/... (tests clean up after themselves)
          APICURIO_REST_DELETION_GROUP_ENABLED: 'true',
          APICURIO_REST_DELETION_ARTIFACT_ENABLED: 'true',
          APICURIO_REST_DELETION_ARTIFACT_VERSION_ENABLED: 'true',
          ...(secrets === undefined ? {} : secureRegistryEnv(options.registryPort, secrets)),
        },
      };
    },

    async isAnswering(timeoutMs: number): Promise<boolean> {
      return (await httpGetStatus(subjectsUrl, timeoutMs, probeHttps())) === 200;
    },

    wipeData(): void {
      rmSync(paths.dataDir, { recursive: true, force: true });
    },
  };
}
