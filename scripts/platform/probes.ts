// Small network probes with hard timeouts (raw TCP, HTTP GET, free-port test). Node built-ins only.
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';

/**
 * Connect, optionally send `payload`, and collect the answer until `isComplete` says it is whole.
 * Resolves with the bytes, or null on refusal, error, early close or timeout. Never rejects.
 */
export function tcpExchange(
  host: string,
  port: number,
  payload: Buffer | null,
  isComplete: (received: Buffer) => boolean,
  timeoutMs: number,
): Promise<Buffer | null> {
  return new Promise((resolvePromise) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket = createConnection({ host, port });
    const finish = (result: Buffer | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(result);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on('connect', () => {
      if (payload === null) finish(received);
      else socket.write(payload);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (isComplete(received)) finish(received);
    });
    socket.on('error', () => finish(null));
    socket.on('close', () => finish(null));
  });
}

export async function portAcceptsConnections(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<boolean> {
  return (await tcpExchange(host, port, null, () => true, timeoutMs)) !== null;
}

/** True when nothing listens on host:port (we can bind it ourselves). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.once('error', () => resolvePromise(false));
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolvePromise(true));
    });
  });
}

/** HTTP status of a GET, or null on error or timeout. Never rejects. */
export function httpGetStatus(url: string, timeoutMs: number): Promise<number | null> {
  return new Promise((resolvePromise) => {
    let settled = false;
    const finish = (status: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolvePromise(status);
    };
    const req = request(
      url,
      { method: 'GET', headers: { accept: 'application/json' }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode ?? null));
        res.on('error', () => finish(null));
      },
    );
    const timer = setTimeout(() => finish(null), timeoutMs);
    req.on('error', () => finish(null));
    req.end();
  });
}
