import { Redis, type RedisOptions } from 'ioredis';
import { ServiceAccessError, closedAtOnce, endpointOf, tlsAccessError } from '../../processor/index.ts';

/**
 * How saldo authenticates to Redis and which CA it trusts (a rediss:// URL turns TLS on): an ACL
 * user (`default` otherwise) and its password, and the CA (PEM text) of the server's certificate
 * when the system's CAs do not vouch for it. Plain data (stream threads are handed it). Holds a
 * secret: never log it.
 */
export interface RedisSecurity {
  username?: string;
  password?: string;
  ca?: string;
}

/** The ioredis options these settings amount to, on top of `extra`. */
export function redisOptions(
  url: string,
  security: RedisSecurity | undefined,
  extra: RedisOptions = {},
): RedisOptions {
  const { username, password, ca } = security ?? {};
  return {
    ...extra,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(url.startsWith('rediss://') ? { tls: ca === undefined ? {} : { ca } } : {}),
  };
}

export function connectRedis(
  url: string,
  security: RedisSecurity | undefined,
  extra: RedisOptions = {},
): Redis {
  return new Redis(url, redisOptions(url, security, extra));
}

function userOf(url: string, security: RedisSecurity | undefined): string {
  if (security?.username !== undefined) return security.username;
  try {
    const fromUrl = decodeURIComponent(new URL(url).username);
    if (fromUrl !== '') return fromUrl;
  } catch {
    // an unparsable URL fails elsewhere, with its own message
  }
  return 'default';
}

/**
 * The ServiceAccessError an ioredis error amounts to: the server refused the credentials (WRONGPASS,
 * or NOAUTH: a password is required and none was given) or the TLS handshake failed.
 */
export function redisAccessFailure(
  error: unknown,
  url: string,
  security: RedisSecurity | undefined,
): ServiceAccessError | undefined {
  if (error instanceof ServiceAccessError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const endpoint = endpointOf(url, '(the Redis URL)');
  if (/^(WRONGPASS|NOAUTH)\b/.test(message)) {
    return new ServiceAccessError(
      { service: 'redis', kind: 'authentication', endpoint, user: userOf(url, security) },
      message.split(/[.,]/)[0] ?? message,
      'check SALDO_REDIS_USERNAME and SALDO_REDIS_PASSWORD(_FILE)',
      error,
    );
  }
  return tlsAccessError(
    error,
    'redis',
    endpoint,
    "check REDIS_URL (rediss:// for TLS) and SALDO_REDIS_TLS_CA_FILE (the CA that signed the server's certificate)",
  );
}

/**
 * Connects once, without retries, and PINGs: throws a ServiceAccessError when Redis refuses the
 * credentials or the TLS handshake fails. ioredis would otherwise reconnect forever, each attempt
 * failing the same way. Any other failure (Redis not up yet) is returned, for the caller to log:
 * the cache catches up once Redis is back.
 */
export async function checkRedisAccess(
  url: string,
  security: RedisSecurity | undefined,
  timeoutMs = 5_000,
): Promise<Error | undefined> {
  const first = await pingOnce(url, security, timeoutMs);
  if (first === undefined || !closedAtOnce(first)) return first;
  // Closed at once, twice: a plaintext client at a TLS port (or TLS at a plaintext one).
  await new Promise((resolve) => setTimeout(resolve, 500));
  const second = await pingOnce(url, security, timeoutMs);
  if (second === undefined || !closedAtOnce(second)) return second;
  throw new ServiceAccessError(
    { service: 'redis', kind: 'protocol', endpoint: endpointOf(url, '(the Redis URL)') },
    `${url.startsWith('rediss://') ? 'TLS' : 'plaintext'} is not what the server speaks`,
    'check REDIS_URL: rediss:// for a TLS port, redis:// for a plaintext one',
    second,
  );
}

/** One connection and PING: undefined when it answered, the error when not, thrown when refused. */
async function pingOnce(
  url: string,
  security: RedisSecurity | undefined,
  timeoutMs: number,
): Promise<Error | undefined> {
  let firstError: unknown;
  const redis = connectRedis(url, security, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  redis.on('error', (error: unknown) => {
    firstError ??= error;
  });
  // connectTimeout bounds the TCP connect only: a server that never answers is given up here.
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const answered = (async () => {
      await redis.connect();
      await redis.ping();
    })();
    answered.catch(() => undefined); // settled after the race is lost: already judged
    await Promise.race([answered, overdue]);
    return undefined;
  } catch (error) {
    const cause = firstError ?? error;
    const failure = redisAccessFailure(cause, url, security) ?? redisAccessFailure(error, url, security);
    if (failure !== undefined) throw failure;
    return cause instanceof Error ? cause : new Error(String(cause));
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}
