import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppState } from '../app-lifecycle.ts';
import { SaldoError, describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Readiness } from './readiness.ts';

/** Prometheus' text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export interface OpsServerOptions {
  /** Interface to listen on (0.0.0.0: every one). */
  host: string;
  /** 0: a free port, chosen by the system (tests); start() returns it. */
  port: number;
  /** The instance's metrics, Prometheus text. */
  metrics: () => Promise<string>;
  readiness: () => Promise<Readiness>;
  liveness: () => { alive: boolean; state: AppState };
  logger: Logger;
}

/** The ops server could not listen (the port is taken, say): the instance does not start. */
export class OpsServerError extends SaldoError {}

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

const json = (status: number, body: unknown): Answer => ({
  status,
  contentType: JSON_CONTENT_TYPE,
  body: JSON.stringify(body),
});

/**
 * What Kubernetes and Prometheus ask an instance (node:http; three routes need no framework):
 *   GET /metrics  Prometheus text: the engine's metrics (every stream thread's) and Node's own
 *   GET /healthz  200 while the process is alive and the app has not failed (liveness probe)
 *   GET /readyz   200 only when the app runs and every active task runs, none restoring; 503 with
 *                 the reason otherwise (readiness probe)
 * Apart from the query server: probes and scrapes must answer while queries cannot (a restore),
 * and the chart exposes them on a port of their own. The server does not keep the process alive.
 */
export class OpsServer {
  readonly #options: OpsServerOptions;
  readonly #server: Server;
  readonly #log: Logger;

  constructor(options: OpsServerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'ops-server' });
    this.#server = createServer((request, response) => void this.#serve(request, response));
  }

  /** Listens; resolves with the port (the one chosen, when asked for 0). */
  async start(): Promise<number> {
    const { host, port } = this.#options;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        reject(
          new OpsServerError(
            `the ops server cannot listen on ${host}:${port}: ${error.message} (set SALDO_OPS_PORT or --ops-port)`,
            { cause: error },
          ),
        );
      };
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    this.#server.unref();
    this.#server.on('error', (error) => this.#log.error({ error: describeError(error) }, 'ops server error'));
    const bound = (this.#server.address() as AddressInfo).port;
    this.#log.info(
      { host, port: bound, routes: ['/metrics', '/healthz', '/readyz'] },
      'ops server listening',
    );
    return bound;
  }

  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.#answer(
        request.method ?? 'GET',
        new URL(request.url ?? '/', 'http://ops').pathname,
      );
    } catch (error) {
      this.#log.error({ error: describeError(error), url: request.url }, 'ops request failed');
      answer = json(500, { error: 'internal', message: 'see the instance log' });
    }
    request.resume();
    response.writeHead(answer.status, {
      'content-type': answer.contentType,
      'content-length': Buffer.byteLength(answer.body),
      'cache-control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : answer.body);
  }

  async #answer(method: string, path: string): Promise<Answer> {
    if (method !== 'GET' && method !== 'HEAD') return json(405, { error: 'method-not-allowed' });
    switch (path) {
      case '/metrics':
        return { status: 200, contentType: METRICS_CONTENT_TYPE, body: await this.#options.metrics() };
      case '/healthz': {
        const { alive, state } = this.#options.liveness();
        return json(alive ? 200 : 503, { status: alive ? 'alive' : 'failed', state });
      }
      case '/readyz': {
        const readiness = await this.#options.readiness();
        return json(readiness.ready ? 200 : 503, readiness);
      }
      default:
        return json(404, { error: 'not-found', routes: ['/metrics', '/healthz', '/readyz'] });
    }
  }
}
