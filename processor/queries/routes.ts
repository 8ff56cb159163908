import type { StoreRead } from './local-read.ts';

/** An answer of the query API: its status and a body sent as JSON (bigints as decimal strings). */
export interface QueryResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route's answer may look at besides the values read. */
export interface QueryContext {
  /** The request's query string (`?at=…`). */
  readonly params: URLSearchParams;
  /** The owner's wall clock (ms), through the app's injected clock. */
  readonly now: number;
}

/**
 * A query of one key's state, answered by the instance that runs the key's task: the topology's
 * author declares what to read and how to answer; the engine finds the owner, forwards, reads.
 * `path` has one `{key}` segment, e.g. `/accounts/{key}/balance`.
 */
export interface KeyQueryRoute {
  readonly path: string;
  /** Why a key is refused (400), beyond the engine's checks (non-empty, bounded, printable). */
  checkKey?(key: string): string | undefined;
  /** The bytes the input's partitioner places the key by (the input's serialized key). */
  partitionKey(key: string): Buffer;
  /** The values to read on the owner, in one go. */
  reads(key: string): StoreRead[];
  /** The answer from the values read, in the order of reads (undefined: no such key). */
  respond(key: string, values: ReadonlyArray<Buffer | undefined>, context: QueryContext): QueryResponse;
}

/** The longest key the API accepts, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 256;

// Control characters, including DEL and the C1 range.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A compiled route: its path split around `{key}`. */
export interface CompiledRoute {
  readonly route: KeyQueryRoute;
  readonly prefix: string;
  readonly suffix: string;
}

export function compileRoute(route: KeyQueryRoute): CompiledRoute {
  const at = route.path.indexOf('{key}');
  if (!route.path.startsWith('/') || at < 0 || route.path.indexOf('{key}', at + 1) >= 0) {
    throw new TypeError(`route path '${route.path}' must start with / and hold {key} once`);
  }
  return { route, prefix: route.path.slice(0, at), suffix: route.path.slice(at + '{key}'.length) };
}

/**
 * The route whose path matches `pathname`, with its key still percent-encoded; the key segment
 * never holds a "/" (an encoded one, %2F, is a key's own).
 */
export function matchRoute(
  routes: readonly CompiledRoute[],
  pathname: string,
): { route: KeyQueryRoute; encodedKey: string } | undefined {
  for (const compiled of routes) {
    if (pathname.length < compiled.prefix.length + compiled.suffix.length) continue;
    if (!pathname.startsWith(compiled.prefix) || !pathname.endsWith(compiled.suffix)) continue;
    const encodedKey = pathname.slice(compiled.prefix.length, pathname.length - compiled.suffix.length);
    if (encodedKey.includes('/')) continue;
    return { route: compiled.route, encodedKey };
  }
  return undefined;
}

/** The key of a matched path, or why it is refused (the answer is then 400). */
export function decodeKey(route: KeyQueryRoute, encodedKey: string): { key: string } | { problem: string } {
  let key: string;
  try {
    key = decodeURIComponent(encodedKey);
  } catch {
    return { problem: 'the key is not valid percent-encoded UTF-8' };
  }
  if (key.length === 0) return { problem: 'the key is empty' };
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    return { problem: `the key is longer than ${MAX_KEY_BYTES} bytes` };
  if (CONTROL.test(key)) return { problem: 'the key holds control characters' };
  const problem = route.checkKey?.(key);
  return problem === undefined ? { key } : { problem };
}
