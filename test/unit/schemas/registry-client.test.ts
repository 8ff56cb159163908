// The registry client must not wait forever for an answer that never comes: each request is
// bounded in time and retried. A local HTTP server (no registry) stalls chosen requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { registryClientArgs } from '../../../schemas/index.ts';

const schema = {
  type: 'record',
  name: 'Payment',
  namespace: 'mx.saldo.test',
  fields: [{ name: 'amountMinor', type: 'long' }],
};

interface FakeRegistry {
  url: string;
  /** Requests received, as "METHOD path". */
  seen: string[];
}

let server: Server | undefined;
const stalled: ServerResponse[] = [];

afterEach(async () => {
  for (const response of stalled.splice(0)) response.destroy();
  await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
  server = undefined;
});

/** Answers `answer(request)`, but leaves the first `stallFirst` requests of each "METHOD path" unanswered. */
async function fakeRegistry(
  stallFirst: number,
  answer: (request: IncomingMessage) => { status: number; body: unknown },
): Promise<FakeRegistry> {
  const seen: string[] = [];
  const stalledSoFar = new Map<string, number>();
  server = createServer((request, response) => {
    request.resume();
    const what = `${request.method} ${request.url}`;
    seen.push(what);
    const count = stalledSoFar.get(what) ?? 0;
    if (count < stallFirst) {
      stalledSoFar.set(what, count + 1);
      stalled.push(response);
      return;
    }
    const { status, body } = answer(request);
    response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((listening) => server?.listen(0, '127.0.0.1', () => listening()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen };
}

describe('the schema registry client', () => {
  it('abandons a request that gets no answer and retries it, GETs and POSTs alike', async () => {
    const fake = await fakeRegistry(1, (request) => {
      if (request.method === 'GET' && request.url === '/subjects/payments-value/versions/latest')
        return { status: 200, body: { subject: 'payments-value', version: 1, id: 5, schema: '{}' } };
      if (request.method === 'GET' && request.url === '/config/payments-value')
        return { status: 200, body: { compatibilityLevel: 'BACKWARD' } };
      if (request.method === 'POST' && request.url === '/subjects/payments-value/versions')
        return { status: 200, body: { id: 7 } };
      return { status: 404, body: { error_code: 40401, message: 'not found' } };
    });
    const registry = new SchemaRegistry(registryClientArgs(fake.url, 300));

    const began = Date.now();
    expect(await registry.getLatestSchemaId('payments-value')).toBe(5);
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject: 'payments-value', compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(id).toBe(7);
    expect(Date.now() - began).toBeLessThan(10_000);

    // Each kind of request was sent twice: once stalled and abandoned, once answered.
    const count = (what: string) => fake.seen.filter((s) => s === what).length;
    expect(count('GET /subjects/payments-value/versions/latest')).toBe(2);
    expect(count('POST /subjects/payments-value/versions')).toBe(2);
  });

  it('gives up after its retries when the registry never answers', async () => {
    const fake = await fakeRegistry(Infinity, () => ({ status: 200, body: {} }));
    const registry = new SchemaRegistry(registryClientArgs(fake.url, 200));
    await expect(registry.getLatestSchemaId('payments-value')).rejects.toThrow(/Timeout/);
    // The first attempt and three retries.
    expect(fake.seen).toHaveLength(4);
  });

  it('does not retry a client error such as an unknown subject', async () => {
    const fake = await fakeRegistry(0, () => ({
      status: 404,
      body: { error_code: 40401, message: 'Subject not found' },
    }));
    const registry = new SchemaRegistry(registryClientArgs(fake.url, 200));
    await expect(registry.getLatestSchemaId('payments-value')).rejects.toThrow(/not found/i);
    expect(fake.seen).toHaveLength(1);
  });
});
