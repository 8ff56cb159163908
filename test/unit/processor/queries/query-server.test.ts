import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../processor/index.ts';
import { freePort } from '../../../../scripts/free-port.ts';
import {
  FORWARDED_FROM_HEADER,
  QueryServer,
  QueryServerError,
  RESTORING,
  SERVED_BY_HEADER,
  type KeyQueryRoute,
  type LocalRead,
  type QueryRouting,
  type QueryTarget,
  type StoreRead,
} from '../../../../processor/queries/index.ts';

// Two query servers over real HTTP on 127.0.0.1, each with a fake local state: forwarding, its
// loop guard and its timeouts, as `saldo run` instances do them.

const route: KeyQueryRoute = {
  path: '/totals/{key}',
  partitionKey: (key) => Buffer.from(key),
  reads: (key) => [{ store: 'totals', key: Buffer.from(key) }],
  respond: (key, [value]) =>
    value === undefined
      ? { status: 404, body: { key } }
      : { status: 200, body: { key, total: value.toString() } },
};

/** Places key "p-…" on partition p. */
const partitionOf = (key: Buffer) => Number(key.toString().split('-')[0]);

class Instance implements QueryTarget {
  readonly partitionCount = 2;
  routing: QueryRouting | undefined;
  readonly read: number[] = [];
  readonly state: Map<number, LocalRead>;
  constructor(state: Map<number, LocalRead>) {
    this.state = state;
  }
  onRouting(routing: QueryRouting): void {
    this.routing = routing;
  }
  async readLocal(partition: number, _reads: readonly StoreRead[]): Promise<LocalRead> {
    this.read.push(partition);
    return this.state.get(partition) ?? { status: 'not-owner' };
  }
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

async function startServer(
  endpoint: string,
  target: Instance,
  forwardTimeoutMs = 2_000,
): Promise<QueryServer> {
  const server = new QueryServer({
    applicationServer: endpoint,
    target,
    routes: [route],
    partitionOf,
    logger: createLogger({ level: 'silent' }),
    forwardTimeoutMs,
  });
  await server.start();
  closers.push(() => server.stop());
  return server;
}

async function get(endpoint: string, path: string) {
  const response = await fetch(`http://${endpoint}${path}`);
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
    servedBy: response.headers.get(SERVED_BY_HEADER),
    retryAfter: response.headers.get('retry-after'),
  };
}

const ok = (total: string): LocalRead => ({ status: 'ok', values: [Buffer.from(total)] });

describe('the query server', () => {
  it('forwards a query for another instance’s task to it and returns the owner’s answer', async () => {
    const a = `127.0.0.1:${await freePort()}`;
    const b = `127.0.0.1:${await freePort()}`;
    const routing = {
      generation: 1,
      activeEndpoints: new Map([
        [0, a],
        [1, b],
      ]),
    };
    const onA = new Instance(new Map([[0, ok('5')]]));
    const onB = new Instance(new Map([[1, ok('7')]]));
    onA.onRouting(routing);
    onB.onRouting(routing);
    await startServer(a, onA);
    await startServer(b, onB);

    const forwarded = await get(a, '/totals/1-x');
    expect(forwarded).toMatchObject({ status: 200, body: { key: '1-x', total: '7' }, servedBy: b });
    expect(onA.read).toEqual([]);
    expect(onB.read).toEqual([1]);
    const local = await get(a, '/totals/0-x');
    expect(local).toMatchObject({ status: 200, body: { total: '5' }, servedBy: a });
  });

  it('marks what it forwards, so that two instances whose routings disagree do not send a query back and forth', async () => {
    const a = `127.0.0.1:${await freePort()}`;
    const b = `127.0.0.1:${await freePort()}`;
    // a thinks b runs partition 1 and b thinks a does: b must answer what a forwarded.
    const onA = new Instance(new Map());
    const onB = new Instance(new Map([[1, RESTORING]]));
    onA.onRouting({ generation: 3, activeEndpoints: new Map([[1, b]]) });
    onB.onRouting({ generation: 4, activeEndpoints: new Map([[1, a]]) });
    await startServer(a, onA);
    await startServer(b, onB);
    const answer = await get(a, '/totals/1-x');
    expect(answer).toMatchObject({
      status: 503,
      body: { error: 'restoring', partition: 1 },
      retryAfter: '1',
    });
    expect(onB.read).toEqual([1]);
    expect(onA.read).toEqual([]);
  });

  it('sends its own endpoint in the forwarded-from header', async () => {
    const a = `127.0.0.1:${await freePort()}`;
    const seen: Array<string | string[] | undefined> = [];
    const owner = createServer((request, response) => {
      seen.push(request.headers[FORWARDED_FROM_HEADER]);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    const ownerPort = await listening(owner);
    const onA = new Instance(new Map());
    onA.onRouting({ generation: 1, activeEndpoints: new Map([[1, `127.0.0.1:${ownerPort}`]]) });
    await startServer(a, onA);
    expect((await get(a, '/totals/1-x')).status).toBe(200);
    expect(seen).toEqual([a]);
  });

  it('answers 503 owner-unreachable within its forward timeout when the owner hangs, and when it refuses', async () => {
    const a = `127.0.0.1:${await freePort()}`;
    // An owner that accepts the connection and never answers.
    const hung = createServer(() => undefined);
    const hungPort = await listening(hung);
    const closedPort = await freePort();
    const onA = new Instance(new Map());
    onA.onRouting({
      generation: 1,
      activeEndpoints: new Map([
        [0, `127.0.0.1:${hungPort}`],
        [1, `127.0.0.1:${closedPort}`],
      ]),
    });
    await startServer(a, onA, 300);
    const started = performance.now();
    const slow = await get(a, '/totals/0-x');
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(slow).toMatchObject({
      status: 503,
      body: { error: 'owner-unreachable', partition: 0 },
      retryAfter: '1',
    });
    expect(String(slow.body.message)).toMatch(/no answer within 300 ms/);
    const refused = await get(a, '/totals/1-x');
    expect(refused).toMatchObject({ status: 503, body: { error: 'owner-unreachable', partition: 1 } });
    expect(String(refused.body.message)).toMatch(/ECONNREFUSED/);
  });

  it('refuses to start on a port already taken, naming it', async () => {
    const taken = await listening(createServer());
    const server = new QueryServer({
      applicationServer: `127.0.0.1:${taken}`,
      target: new Instance(new Map()),
      routes: [route],
      logger: createLogger({ level: 'silent' }),
    });
    await expect(server.start()).rejects.toThrow(QueryServerError);
    await expect(server.start()).rejects.toThrow(new RegExp(`cannot listen on port ${taken}`));
  });
});

describe('the query server’s metrics', () => {
  it('serves the instance’s metrics at GET /metrics in Prometheus’ text format, when given them', async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    const server = new QueryServer({
      applicationServer: endpoint,
      target: new Instance(new Map()),
      routes: [route],
      partitionOf,
      logger: createLogger({ level: 'silent' }),
      metrics: async () => 'saldo_restore_remaining_records{task="0_3"} 42\n',
    });
    await server.start();
    closers.push(() => server.stop());
    const response = await fetch(`http://${endpoint}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await response.text()).toBe('saldo_restore_remaining_records{task="0_3"} 42\n');
  });

  it('has no /metrics route without them', async () => {
    const endpoint = `127.0.0.1:${await freePort()}`;
    await startServer(endpoint, new Instance(new Map()));
    expect((await fetch(`http://${endpoint}/metrics`)).status).toBe(404);
  });
});
