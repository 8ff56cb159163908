import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { systemClock, type Clock } from '../clock.ts';
import { SaldoError, describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { METRICS_CONTENT_TYPE } from '../ops/ops-server.ts';
import { partitionForKey } from '../kafka/wire/key-partitioning.ts';
import { parseEndpoint } from './endpoint.ts';
import { FORWARDED_FROM_HEADER, httpForwarder, type Forwarder } from './forwarder.ts';
import type { QueryTarget } from './local-read.ts';
import { QueryHandler, type QueryAnswer } from './query-handler.ts';
import type { KeyQueryRoute } from './routes.ts';

/** How long a forwarded query may take before the caller gets a 503: well under a client's own timeout. */
export const DEFAULT_FORWARD_TIMEOUT_MS = 2_000;
/** The Retry-After of a 503: a task restores in seconds, a rebalance settles in about as long. */
export const DEFAULT_RETRY_AFTER_SECONDS = 1;

export interface QueryServerOptions {
  /** This instance's applicationServer ("host:port"): it listens on that port, on every interface. */
  applicationServer: string;
  target: QueryTarget;
  routes: readonly KeyQueryRoute[];
  logger: Logger;
  clock?: Clock;
  /** Default: Kafka's default partitioner (murmur2 of the key), as the product's producers place keys. */
  partitionOf?: (key: Buffer, partitions: number) => number;
  forwardTimeoutMs?: number;
  retryAfterSeconds?: number;
  /** Default: HTTP to the owner (tests give their own). */
  forwarder?: Forwarder;
  /**
   * The instance's metrics in Prometheus' text format, served at GET /metrics (what `saldo status`
   * reads an instance's restores from; Prometheus scrapes it too).
   */
  metrics?: () => Promise<string>;
}

/** The query server could not listen (the port is taken, say): the instance does not start. */
export class QueryServerError extends SaldoError {}

/**
 * The query API over HTTP (node:http; its four routes need no framework): GET only, JSON bodies,
 * every answer carrying who served it. The server does not keep the process alive on its own:
 * an instance whose app has stopped exits even if nobody calls stop().
 */
export class QueryServer {
  readonly #options: QueryServerOptions;
  readonly #handler: QueryHandler;
  readonly #server: Server;
  readonly #log: Logger;

  constructor(options: QueryServerOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: 'query-server' });
    this.#handler = new QueryHandler({
      self: options.applicationServer,
      target: options.target,
      routes: options.routes,
      partitionOf: options.partitionOf ?? partitionForKey,
      forwarder:
        options.forwarder ??
        httpForwarder({
          self: options.applicationServer,
          timeoutMs: options.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS,
        }),
      clock: options.clock ?? systemClock,
      logger: options.logger,
      retryAfterSeconds: options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    });
    this.#server = createServer((request, response) => void this.#serve(request, response));
  }

  async start(): Promise<void> {
    const port = parseEndpoint(this.#options.applicationServer).port;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        reject(
          new QueryServerError(`the query server cannot listen on port ${port}: ${error.message}`, {
            cause: error,
          }),
        );
      };
      this.#server.once('error', onError);
      this.#server.listen(port, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    this.#server.unref();
    this.#server.on('error', (error) =>
      this.#log.error({ error: describeError(error) }, 'query server error'),
    );
    this.#log.info(
      {
        applicationServer: this.#options.applicationServer,
        port,
        routes: this.#options.routes.map((r) => r.path),
      },
      'query server listening',
    );
  }

  async stop(): Promise<void> {
    if (!this.#server.listening) return;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let answer: QueryAnswer;
    try {
      if (this.#options.metrics !== undefined && request.method === 'GET' && request.url === '/metrics') {
        answer = {
          status: 200,
          headers: { 'content-type': METRICS_CONTENT_TYPE },
          body: await this.#options.metrics(),
        };
      } else {
        const forwardedFrom = request.headers[FORWARDED_FROM_HEADER];
        answer = await this.#handler.handle({
          method: request.method ?? 'GET',
          url: request.url ?? '/',
          ...(typeof forwardedFrom === 'string' ? { forwardedFrom } : {}),
        });
      }
    } catch (error) {
      this.#log.error({ error: describeError(error) }, 'query failed');
      answer = {
        status: 500,
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ error: 'internal', message: 'the query failed; see the instance log' }),
      };
    }
    // A query has no body worth reading; drain whatever came so the connection can be reused.
    request.resume();
    response.writeHead(answer.status, {
      ...answer.headers,
      'content-length': Buffer.byteLength(answer.body),
    });
    response.end(answer.body);
  }
}
