import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceAccessError } from '../../../processor/index.ts';
import {
  checkRedisAccess,
  redisAccessFailure,
  redisOptions,
} from '../../../topologies/balances/redis-connection.ts';

describe('redisOptions', () => {
  it('passes the user, the password and, for rediss://, TLS with the CA', () => {
    expect(redisOptions('redis://h:1', undefined, { maxRetriesPerRequest: 3 })).toEqual({
      maxRetriesPerRequest: 3,
    });
    expect(redisOptions('rediss://h:1', { username: 'saldo', password: 'pw', ca: 'PEM' })).toEqual({
      username: 'saldo',
      password: 'pw',
      tls: { ca: 'PEM' },
    });
    expect(redisOptions('rediss://h:1', { password: 'pw' })).toEqual({ password: 'pw', tls: {} });
  });
});

describe('redisAccessFailure', () => {
  it('reads WRONGPASS and NOAUTH as refused credentials, naming the user and not the password', () => {
    const wrong = redisAccessFailure(
      new Error('WRONGPASS invalid username-password pair or user is disabled.'),
      'rediss://:secret-pw@127.0.0.1:26379',
      { password: 'secret-pw' },
    );
    expect(wrong?.message).toBe(
      "redis: authentication failed for user 'default' at rediss://127.0.0.1:26379: WRONGPASS invalid username-password pair or user is disabled; check SALDO_REDIS_USERNAME and SALDO_REDIS_PASSWORD(_FILE)",
    );
    const none = redisAccessFailure(
      new Error('NOAUTH HELLO must be called with the client already authenticated'),
      'redis://h:1',
      {
        username: 'saldo',
      },
    );
    expect(none).toMatchObject({ service: 'redis', kind: 'authentication', user: 'saldo' });
  });

  it('reads certificate errors as TLS failures and leaves a refused connection alone', () => {
    const tls = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(redisAccessFailure(tls, 'rediss://h:1', undefined)?.kind).toBe('tls');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(redisAccessFailure(refused, 'redis://h:1', undefined)).toBeUndefined();
  });
});

describe('checkRedisAccess', () => {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
  });

  /** A fake Redis answering every command with `reply` (RESP), or resetting every connection. */
  async function fakeRedis(reply: string | 'reset'): Promise<string> {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (data: Buffer) => {
        if (reply === 'reset') {
          socket.resetAndDestroy();
          return;
        }
        // one reply per command (a RESP array); clients pipeline several in one chunk
        const commands = data.toString('utf8').match(/(?:^|\r\n)\*\d+\r\n/g)?.length ?? 1;
        socket.write(reply.repeat(commands));
      });
    });
    await new Promise<void>((listening) => server?.listen(0, '127.0.0.1', () => listening()));
    return `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('throws at once when the server refuses the password', async () => {
    const url = await fakeRedis('-WRONGPASS invalid username-password pair or user is disabled.\r\n');
    const began = Date.now();
    const failure = await checkRedisAccess(url, { password: 'nope' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceAccessError);
    expect((failure as ServiceAccessError).kind).toBe('authentication');
    expect(Date.now() - began).toBeLessThan(3_000);
  });

  it('calls a server that resets every connection a protocol mismatch, after asking twice', async () => {
    const url = await fakeRedis('reset');
    const failure = await checkRedisAccess(url, undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceAccessError);
    expect((failure as Error).message).toMatch(
      /closes every connection at once: plaintext is not what the server speaks/,
    );
  });

  it('gives up on a server that never answers', async () => {
    server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((listening) => server?.listen(0, '127.0.0.1', () => listening()));
    const silent = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const down = await checkRedisAccess(silent, undefined, 300);
    expect(down?.message).toBe('no answer from Redis within 300 ms');
  });

  it('returns, without throwing, the error of a Redis that is not there', async () => {
    const url = await fakeRedis('+PONG\r\n');
    const port = Number(new URL(url).port);
    await new Promise<void>((done) => server?.close(() => done()));
    server = undefined;
    const down = await checkRedisAccess(`redis://127.0.0.1:${port}`, undefined);
    expect(down?.message).toMatch(/ECONNREFUSED/);
  });
});
