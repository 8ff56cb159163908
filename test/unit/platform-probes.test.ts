// The readiness probes against small fake servers (no Kafka, Redis or registry needed).
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  apiVersionsRequest,
  isApiVersionsOk,
  isWholeFrame,
  kafkaAnswers,
} from '../../scripts/platform/kafka.ts';
import { httpGetStatus, portIsFree, tcpExchange } from '../../scripts/platform/probes.ts';
import { redisAnswers } from '../../scripts/platform/redis.ts';
import { createServer as createHttpServer } from 'node:http';

const servers: { close: (done: () => void) => void }[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise<void>((done) => server.close(() => done()))),
  );
});

async function listen(onConnection: (socket: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  servers.push({
    close: (done) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => done());
    },
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** An ApiVersions v0 response frame. */
function apiVersionsResponse(correlationId: number, errorCode: number, apiCount: number): Buffer {
  const body = Buffer.alloc(4 + 2 + 4 + apiCount * 6);
  body.writeInt32BE(correlationId, 0);
  body.writeInt16BE(errorCode, 4);
  body.writeInt32BE(apiCount, 6);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

describe('Kafka ApiVersions probe', () => {
  it('encodes an ApiVersions v0 request frame', () => {
    const frame = apiVersionsRequest(7, 'abc');
    expect(frame.readInt32BE(0)).toBe(frame.length - 4);
    expect(frame.readInt16BE(4)).toBe(18);
    expect(frame.readInt16BE(6)).toBe(0);
    expect(frame.readInt32BE(8)).toBe(7);
    expect(frame.readInt16BE(12)).toBe(3);
    expect(frame.subarray(14).toString()).toBe('abc');
  });

  it('accepts only a whole, successful response with the same correlation id', () => {
    expect(isApiVersionsOk(apiVersionsResponse(7, 0, 3), 7)).toBe(true);
    expect(isApiVersionsOk(apiVersionsResponse(8, 0, 3), 7)).toBe(false);
    expect(isApiVersionsOk(apiVersionsResponse(7, 35, 3), 7)).toBe(false);
    expect(isWholeFrame(apiVersionsResponse(7, 0, 3).subarray(0, 10))).toBe(false);
  });

  it('talks to a fake broker, and gives up on one that never answers', async () => {
    const good = await listen((socket) => {
      socket.once('data', (request: Buffer) =>
        socket.write(apiVersionsResponse(request.readInt32BE(8), 0, 2)),
      );
    });
    expect(await kafkaAnswers(good, 1_000)).toBe(true);
    const silent = await listen(() => {});
    const began = Date.now();
    expect(await kafkaAnswers(silent, 300)).toBe(false);
    expect(Date.now() - began).toBeLessThan(1_000);
  });
});

describe('Redis PING probe', () => {
  it('wants +PONG', async () => {
    const pong = await listen((socket) => socket.once('data', () => socket.write('+PONG\r\n')));
    const loading = await listen((socket) =>
      socket.once('data', () => socket.write('-LOADING Redis is loading the dataset in memory\r\n')),
    );
    expect(await redisAnswers(pong, 1_000)).toBe(true);
    expect(await redisAnswers(loading, 1_000)).toBe(false);
  });
});

describe('generic probes', () => {
  it('reports a refused connection as null and a taken port as not free', async () => {
    const port = await listen(() => {});
    expect(await portIsFree('127.0.0.1', port)).toBe(false);
    await new Promise<void>((done) => servers.splice(0)[0]?.close(() => done()));
    expect(await portIsFree('127.0.0.1', port)).toBe(true);
    expect(await tcpExchange('127.0.0.1', port, Buffer.from('x'), () => true, 1_000)).toBeNull();
  });

  it('returns the HTTP status, or null on timeout', async () => {
    const server = createHttpServer((request, response) => {
      if (request.url === '/slow') return; // never answers
      response.statusCode = request.url === '/ok' ? 200 : 404;
      response.end('{}');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    servers.push({
      close: (done) => {
        server.closeAllConnections();
        server.close(() => done());
      },
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const base = `http://127.0.0.1:${address.port}`;
    expect(await httpGetStatus(`${base}/ok`, 1_000)).toBe(200);
    expect(await httpGetStatus(`${base}/missing`, 1_000)).toBe(404);
    expect(await httpGetStatus(`${base}/slow`, 300)).toBeNull();
  });
});
