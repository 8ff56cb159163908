// Basic auth to the schema registry: the credentials go with every request, and a 401 stops at the
// first request with one clear error (no retries). A local HTTP server plays the registry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceAccessError } from '../../../processor/index.ts';
import { ConfluentAvroRegistry, registryAccessFailure } from '../../../schemas/index.ts';

const schema = { type: 'record' as const, name: 'Payment', namespace: 'mx.saldo.test', fields: [] };

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** A registry that wants `saldo:secret`; counts requests. */
async function guardedRegistry(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  const expected = `Basic ${Buffer.from('saldo:secret').toString('base64')}`;
  server = createServer((request, response) => {
    request.resume();
    requests += 1;
    if (request.headers.authorization !== expected) {
      response.writeHead(401, { 'www-authenticate': 'basic' });
      response.end();
      return;
    }
    const body =
      request.method === 'GET' && request.url?.startsWith('/config/')
        ? { compatibilityLevel: 'BACKWARD' }
        : request.method === 'POST'
          ? { id: 11 }
          : { error_code: 40401, message: 'not found' };
    response.writeHead(request.method === 'GET' && !request.url?.startsWith('/config/') ? 404 : 200, {
      'content-type': 'application/vnd.schemaregistry.v1+json',
    });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((listening) => server?.listen(0, '127.0.0.1', () => listening()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

describe('registry basic auth', () => {
  it('sends the credentials with every request', async () => {
    const registry = await guardedRegistry();
    const client = ConfluentAvroRegistry.connect(registry.url, { username: 'saldo', password: 'secret' });
    expect(await client.register('payments-value', schema)).toBe(11);
  });

  it('stops at the first 401 with the service, the user and the URL, and no retry', async () => {
    const registry = await guardedRegistry();
    const client = ConfluentAvroRegistry.connect(registry.url, { username: 'saldo', password: 'wrong-pw' });
    const failure = await client.register('payments-value', schema).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ServiceAccessError);
    expect((failure as Error).message).toBe(
      `schema registry: authentication failed for user 'saldo' at ${registry.url}: HTTP 401 Unauthorized; check SALDO_SCHEMA_REGISTRY_USERNAME and SALDO_SCHEMA_REGISTRY_PASSWORD(_FILE)`,
    );
    expect((failure as Error).message).not.toContain('wrong-pw');
    expect(registry.requests()).toBe(1);
  });

  it('says "(none)" when no credentials were given, and nothing for other errors', () => {
    expect(registryAccessFailure({ status: 401 }, 'https://u:pw@r:1/apis', undefined)?.message).toMatch(
      /^schema registry: authentication failed for user '\(none\)' at https:\/\/r:1\/apis: HTTP 401/,
    );
    expect(registryAccessFailure({ status: 403 }, 'https://r:1', { username: 'saldo' })?.message).toMatch(
      /HTTP 403 Forbidden/,
    );
    expect(registryAccessFailure({ status: 500 }, 'https://r:1', undefined)).toBeUndefined();
  });
});
