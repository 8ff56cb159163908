import { SaldoError } from '../errors.ts';

/** Marks a query forwarded by another instance (its endpoint): the receiver answers it, never sends it on. */
export const FORWARDED_FROM_HEADER = 'saldo-forwarded-from';
/** The endpoint of the instance whose state answered: the owner, when the query was forwarded. */
export const SERVED_BY_HEADER = 'saldo-served-by';

/** The owner's answer to a forwarded query, passed on as it is. */
export interface ForwardedAnswer {
  readonly status: number;
  /** The owner's JSON body, unparsed. */
  readonly body: string;
  readonly retryAfter?: string;
  readonly servedBy?: string;
}

/** Sends a query on to the instance at `endpoint` and returns its answer. */
export interface Forwarder {
  forward(endpoint: string, pathAndQuery: string): Promise<ForwardedAnswer>;
}

/** The owner did not answer a forwarded query: refused, unreachable, or too slow. Retrying later may help. */
export class QueryForwardError extends SaldoError {
  readonly endpoint: string;

  constructor(endpoint: string, reason: string, cause?: unknown) {
    super(`the owner at ${endpoint} did not answer: ${reason}`, { retriable: true, cause });
    this.endpoint = endpoint;
  }
}

/**
 * Forwards over HTTP (Node's fetch, whose pool keeps connections to the owners alive), within
 * `timeoutMs` for the whole answer: a slow owner costs the caller a 503 with a retry hint rather
 * than a hung request.
 */
export function httpForwarder(options: { self: string; timeoutMs: number }): Forwarder {
  return {
    async forward(endpoint, pathAndQuery) {
      let response: Response;
      let body: string;
      try {
        response = await fetch(`http://${endpoint}${pathAndQuery}`, {
          headers: { [FORWARDED_FROM_HEADER]: options.self, accept: 'application/json' },
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        body = await response.text();
      } catch (error) {
        const reason =
          error instanceof Error && error.name === 'TimeoutError'
            ? `no answer within ${options.timeoutMs} ms`
            : causeOf(error);
        throw new QueryForwardError(endpoint, reason, error);
      }
      const retryAfter = response.headers.get('retry-after');
      const servedBy = response.headers.get(SERVED_BY_HEADER);
      return {
        status: response.status,
        body,
        ...(retryAfter === null ? {} : { retryAfter }),
        ...(servedBy === null ? {} : { servedBy }),
      };
    },
  };
}

/** fetch() reports "fetch failed" and hides the reason (ECONNREFUSED…) in its cause. */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${cause.message})` : cause.message;
  }
  return error.message;
}
