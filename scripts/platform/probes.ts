// Small network probes with hard timeouts (raw TCP or TLS, HTTP(S) GET, free-port test). Node
// built-ins only.
import { request, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Talk TLS, trusting this CA (PEM) only: the secure platform's probes. */
export interface ProbeTls {
  ca: string;
}

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
  tls?: ProbeTls,
): Promise<Buffer | null> {
  return new Promise((resolvePromise) => {
    let received = Buffer.alloc(0);
    let settled = false;
    const socket: Socket =
      tls === undefined ? createConnection({ host, port }) : tlsConnect({ host, port, ca: tls.ca });
    const finish = (result: Buffer | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolvePromise(result);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => {
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

/** How an HTTPS probe authenticates: the CA it trusts and basic-auth credentials. */
export interface ProbeHttps extends ProbeTls {
  username: string;
  password: string;
}

/**
 * HTTP status of a GET, or null on error or timeout. Never rejects. With `https`, an https URL is
 * fetched trusting that CA, with basic auth.
 */
export function httpGetStatus(url: string, timeoutMs: number, https?: ProbeHttps): Promise<number | null> {
  return new Promise((resolvePromise) => {
    let settled = false;
    const finish = (status: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolvePromise(status);
    };
    const onResponse = (res: IncomingMessage): void => {
      res.resume();
      res.on('end', () => finish(res.statusCode ?? null));
      res.on('error', () => finish(null));
    };
    const headers = { accept: 'application/json' };
    const req =
      https === undefined
        ? request(url, { method: 'GET', headers, agent: false }, onResponse)
        : httpsRequest(
            url,
            {
              method: 'GET',
              headers,
              agent: false,
              ca: https.ca,
              auth: `${https.username}:${https.password}`,
            },
            onResponse,
          );
    const timer = setTimeout(() => finish(null), timeoutMs);
    req.on('error', () => finish(null));
    req.end();
  });
}
