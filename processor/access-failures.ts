import { ServiceAccessError, type ConnectedService } from './errors.ts';

/**
 * Telling failures no retry can mend (a TLS handshake refused on the certificate or the protocol)
 * from those a retry may (a refused connection, a timeout), whatever client raised them: Node's TLS
 * errors travel in each client's error, its `cause`, or its message.
 */

// Node's (OpenSSL's) certificate verification codes, and its TLS/SSL protocol errors.
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'EPROTO',
]);
const TLS_MESSAGE =
  /certificate|self[- ]signed|SSL routines|wrong version number|Hostname\/IP does not match/i;
// "Client network socket disconnected before secure TLS connection was established": a TLS client
// at a plaintext port, mostly.
const TLS_WORD = /\bTLS\b/;

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** The error and its causes (`cause`, kafkajs' `originalError`), at most a few deep. */
export function errorChain(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && chain.length < 8) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object') continue;
    const like = current as ErrorLike;
    chain.push(like);
    queue.push(like.cause, like.originalError);
  }
  return chain;
}

/** The TLS failure in an error's chain: its message, or undefined when it is not one. */
export function tlsFailureOf(error: unknown): string | undefined {
  for (const link of errorChain(error)) {
    const code = typeof link.code === 'string' ? link.code : '';
    const message = typeof link.message === 'string' ? link.message : '';
    if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) {
      return message === '' ? code : message;
    }
    if (TLS_MESSAGE.test(message) || TLS_WORD.test(message)) return message;
  }
  return undefined;
}

/**
 * A service's URL as an access failure names it: without user info, since a password must not reach
 * a message; `unparsable` stands in for a URL that does not parse.
 */
export function endpointOf(url: string, unparsable: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.href.replace(/\/$/, '');
  } catch {
    return unparsable;
  }
}

/**
 * The error as a TLS access failure of `service` at `endpoint`, with the hint of what to check; or
 * undefined when it is not a TLS failure.
 */
export function tlsAccessError(
  error: unknown,
  service: ConnectedService,
  endpoint: string,
  hint: string,
): ServiceAccessError | undefined {
  const tls = tlsFailureOf(error);
  return tls === undefined
    ? undefined
    : new ServiceAccessError({ service, kind: 'tls', endpoint }, tls, hint, error);
}

/**
 * The server closed or reset the connection it had just accepted: what a plaintext client at a
 * TLS port meets (and a TLS client without SASL at a SASL listener). Once may be a server going
 * down; the callers ask twice before they call it a mismatch.
 */
export function closedAtOnce(error: unknown): boolean {
  return errorChain(error).some((link) => {
    const code = typeof link.code === 'string' ? link.code : '';
    const name = (link as { name?: unknown }).name;
    const message = typeof link.message === 'string' ? link.message : '';
    return (
      code === 'ECONNRESET' ||
      code === 'EPIPE' ||
      name === 'KafkaJSConnectionClosedError' ||
      /^Closed connection|socket hang up|ECONNRESET/.test(message)
    );
  });
}
