import type { Clock } from '../clock.ts';
import { describeError } from '../errors.ts';
import { jsonWithBigints } from '../json.ts';
import type { Logger } from '../log.ts';
import { QueryForwardError, SERVED_BY_HEADER, type Forwarder } from './forwarder.ts';
import type { QueryTarget } from './local-read.ts';
import { decideRoute } from './routing.ts';
import {
  compileRoute,
  decodeKey,
  matchRoute,
  type CompiledRoute,
  type KeyQueryRoute,
  type QueryResponse,
} from './routes.ts';

/** A query as the HTTP server hands it over. */
export interface QueryRequest {
  readonly method: string;
  /** The request target: path and query string, as received (still percent-encoded). */
  readonly url: string;
  /** The FORWARDED_FROM_HEADER of a query another instance forwarded here. */
  readonly forwardedFrom?: string;
}

/** What the HTTP server sends back: the body is JSON text already. */
export interface QueryAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Why an answer cannot be given now; each is a 503 with Retry-After:
 * - `starting`: the instance has not checked its topics yet, so it cannot place a key;
 * - `restoring`: the key's task is assigned here and restores its stores (its state is stale);
 * - `not-owner`: the routing says this instance, but its task is not here (it has just moved);
 * - `owner-unknown`: the routing names no instance for the key's partition (a rebalance), or
 *   there is no routing yet and this instance does not run the task;
 * - `owner-unreachable`: the owner did not answer the forwarded query in time.
 */
export type UnavailableReason =
  'starting' | 'restoring' | 'not-owner' | 'owner-unknown' | 'owner-unreachable';

export interface QueryHandlerOptions {
  /** This instance's applicationServer: how the routing names it. */
  readonly self: string;
  readonly target: QueryTarget;
  readonly routes: readonly KeyQueryRoute[];
  /** The input's partitioner: partition of a serialized key among `partitions`. */
  readonly partitionOf: (key: Buffer, partitions: number) => number;
  readonly forwarder: Forwarder;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The Retry-After of a 503, in seconds. */
  readonly retryAfterSeconds: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The query API without HTTP: places the key (the input's partitioner), answers from local state
 * when this instance runs the key's task, forwards once to the owner otherwise, and says when the
 * answer would be stale (503 and Retry-After) rather than answering it.
 */
export class QueryHandler {
  readonly #options: QueryHandlerOptions;
  readonly #routes: readonly CompiledRoute[];
  readonly #log: Logger;

  constructor(options: QueryHandlerOptions) {
    this.#options = options;
    this.#routes = options.routes.map(compileRoute);
    this.#log = options.logger.child({ component: 'queries' });
  }

  async handle(request: QueryRequest): Promise<QueryAnswer> {
    if (request.method !== 'GET') {
      return this.#json(
        405,
        { error: 'method-not-allowed', message: 'queries are GET requests' },
        { allow: 'GET' },
      );
    }
    const url = new URL(request.url, 'http://query.invalid');
    const matched = matchRoute(this.#routes, url.pathname);
    if (matched === undefined) {
      const known = this.#options.routes.map((r) => r.path).join(', ') || 'none';
      return this.#json(404, {
        error: 'no-such-query',
        message: `no query at ${url.pathname} (known: ${known})`,
      });
    }
    const decoded = decodeKey(matched.route, matched.encodedKey);
    if ('problem' in decoded) return this.#json(400, { error: 'bad-key', message: decoded.problem });
    const { target, self } = this.#options;
    const partitions = target.partitionCount;
    if (partitions === undefined) {
      return this.#unavailable('starting', 'this instance is starting: it has not joined its group yet');
    }
    const { route } = matched;
    const key = decoded.key;
    const partition = this.#options.partitionOf(route.partitionKey(key), partitions);
    const forwarded = request.forwardedFrom !== undefined;
    const decision = decideRoute({ partition, routing: target.routing, self, forwarded });
    if (decision.kind === 'owner-unknown') {
      return this.#unavailable(
        'owner-unknown',
        `no instance runs partition ${partition} at the moment (a rebalance is under way)`,
        partition,
      );
    }
    if (decision.kind === 'forward') return this.#forward(decision.endpoint, request.url, partition);
    // Local without a routing: this instance may simply not run the key's task.
    const routed = forwarded || target.routing !== undefined;
    return this.#answerLocally(route, key, partition, url.searchParams, routed);
  }

  async #answerLocally(
    route: KeyQueryRoute,
    key: string,
    partition: number,
    params: URLSearchParams,
    routed: boolean,
  ): Promise<QueryAnswer> {
    const read = await this.#options.target.readLocal(partition, route.reads(key));
    if (read.status === 'restoring') {
      return this.#unavailable(
        'restoring',
        `the task of partition ${partition} is restoring its state here; its answer would be stale`,
        partition,
      );
    }
    if (read.status === 'not-owner' && !routed) {
      return this.#unavailable(
        'owner-unknown',
        `this instance does not run the task of partition ${partition} and has no routing yet to find who does`,
        partition,
      );
    }
    if (read.status === 'not-owner') {
      return this.#unavailable(
        'not-owner',
        `this instance does not run the task of partition ${partition} (it has just moved); its new owner is not known here yet`,
        partition,
      );
    }
    let response: QueryResponse;
    try {
      const values = read.values.map((value) => (value === undefined ? undefined : Buffer.from(value)));
      response = route.respond(key, values, { params, now: this.#options.clock.now() });
    } catch (error) {
      // The key stays out of the log: an account id is the customer's.
      this.#log.error({ error: describeError(error), route: route.path, partition }, 'query failed');
      return this.#json(500, { error: 'internal', message: 'the query failed; see the instance log' });
    }
    return this.#json(response.status, response.body, {
      ...response.headers,
      [SERVED_BY_HEADER]: this.#options.self,
    });
  }

  async #forward(endpoint: string, pathAndQuery: string, partition: number): Promise<QueryAnswer> {
    try {
      const answer = await this.#options.forwarder.forward(endpoint, pathAndQuery);
      const headers: Record<string, string> = { 'content-type': JSON_TYPE };
      if (answer.retryAfter !== undefined) headers['retry-after'] = answer.retryAfter;
      if (answer.servedBy !== undefined) headers[SERVED_BY_HEADER] = answer.servedBy;
      return { status: answer.status, headers, body: answer.body };
    } catch (error) {
      if (!(error instanceof QueryForwardError)) throw error;
      this.#log.warn({ owner: endpoint, partition, error: error.message }, 'forwarded query got no answer');
      return this.#unavailable('owner-unreachable', error.message, partition);
    }
  }

  #unavailable(reason: UnavailableReason, message: string, partition?: number): QueryAnswer {
    const retryAfterSeconds = this.#options.retryAfterSeconds;
    return this.#json(
      503,
      { error: reason, message, ...(partition === undefined ? {} : { partition }), retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    );
  }

  #json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): QueryAnswer {
    return { status, headers: { 'content-type': JSON_TYPE, ...headers }, body: jsonWithBigints(body) };
  }
}
