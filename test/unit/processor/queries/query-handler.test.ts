import { describe, expect, it } from 'vitest';
import { ManualClock, createLogger } from '../../../../processor/index.ts';
import {
  NOT_OWNER,
  QueryForwardError,
  QueryHandler,
  RESTORING,
  SERVED_BY_HEADER,
  type ForwardedAnswer,
  type Forwarder,
  type KeyQueryRoute,
  type LocalRead,
  type QueryRouting,
  type QueryTarget,
  type StoreRead,
} from '../../../../processor/queries/index.ts';

const SELF = 'a.saldo:8080';
const OTHER = 'b.saldo:8080';

/** A route over one store, whose keys are placed by their first character ('0' → partition 0…). */
const totalsRoute: KeyQueryRoute = {
  path: '/totals/{key}',
  checkKey: (key) => (/^\d/.test(key) ? undefined : 'keys start with their partition here'),
  partitionKey: (key) => Buffer.from(key),
  reads: (key) => [{ store: 'totals', key: Buffer.from(key) }],
  respond: (key, [value], { params, now }) =>
    value === undefined
      ? { status: 404, body: { error: 'not-found', key } }
      : { status: 200, body: { key, total: BigInt(value.toString()), at: params.get('at') ?? now } },
};

/** A fake instance: its partition count, routing and local state, recording every read. */
class FakeTarget implements QueryTarget {
  partitionCount: number | undefined = 4;
  routing: QueryRouting | undefined;
  readonly reads: Array<{ partition: number; reads: readonly StoreRead[] }> = [];
  answer: (partition: number) => LocalRead = () => ({ status: 'ok', values: [Buffer.from('42')] });

  onRouting(routing: QueryRouting): void {
    this.routing = routing;
  }

  async readLocal(partition: number, reads: readonly StoreRead[]): Promise<LocalRead> {
    this.reads.push({ partition, reads });
    return this.answer(partition);
  }
}

class FakeForwarder implements Forwarder {
  readonly calls: Array<{ endpoint: string; pathAndQuery: string }> = [];
  reply: (endpoint: string) => ForwardedAnswer = () => ({
    status: 200,
    body: '{"from":"owner"}',
    servedBy: OTHER,
  });

  async forward(endpoint: string, pathAndQuery: string): Promise<ForwardedAnswer> {
    this.calls.push({ endpoint, pathAndQuery });
    return this.reply(endpoint);
  }
}

function setUp() {
  const target = new FakeTarget();
  const forwarder = new FakeForwarder();
  const handler = new QueryHandler({
    self: SELF,
    target,
    routes: [totalsRoute],
    partitionOf: (key, partitions) => Number(key.toString()[0]) % partitions,
    forwarder,
    clock: new ManualClock(1_000),
    logger: createLogger({ level: 'silent' }),
    retryAfterSeconds: 2,
  });
  // Partitions 0 and 2 here, 1 on the other instance, 3 nowhere (a rebalance).
  target.routing = {
    generation: 7,
    activeEndpoints: new Map([
      [0, SELF],
      [1, OTHER],
      [2, SELF],
    ]),
  };
  const get = (url: string, forwardedFrom?: string) =>
    handler.handle({ method: 'GET', url, ...(forwardedFrom === undefined ? {} : { forwardedFrom }) });
  return { target, forwarder, handler, get };
}

const bodyOf = (answer: { body: string }) => JSON.parse(answer.body) as Record<string, unknown>;

describe('the query handler', () => {
  it('answers from local state when this instance runs the key’s task, amounts as strings, saying who served', async () => {
    const { target, forwarder, get } = setUp();
    const answer = await get('/totals/2abc?at=5');
    expect(answer.status).toBe(200);
    expect(bodyOf(answer)).toEqual({ key: '2abc', total: '42', at: '5' });
    expect(answer.headers[SERVED_BY_HEADER]).toBe(SELF);
    expect(answer.headers['content-type']).toMatch(/application\/json/);
    expect(target.reads).toEqual([{ partition: 2, reads: [{ store: 'totals', key: Buffer.from('2abc') }] }]);
    expect(forwarder.calls).toEqual([]);
  });

  it('forwards to the owner the path as received and passes its answer on as it is', async () => {
    const { target, forwarder, get } = setUp();
    forwarder.reply = () => ({ status: 404, body: '{"error":"not-found"}', servedBy: OTHER });
    const answer = await get('/totals/1%20x?at=9');
    expect(forwarder.calls).toEqual([{ endpoint: OTHER, pathAndQuery: '/totals/1%20x?at=9' }]);
    expect(answer.status).toBe(404);
    expect(answer.body).toBe('{"error":"not-found"}');
    expect(answer.headers[SERVED_BY_HEADER]).toBe(OTHER);
    expect(target.reads).toEqual([]);
  });

  it('passes an owner’s 503 on with its Retry-After (the owner is restoring)', async () => {
    const { forwarder, get } = setUp();
    forwarder.reply = () => ({
      status: 503,
      body: '{"error":"restoring"}',
      retryAfter: '3',
      servedBy: OTHER,
    });
    const answer = await get('/totals/1');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('3');
    expect(bodyOf(answer).error).toBe('restoring');
  });

  it('answers a forwarded query itself, even where its routing names another owner: it never sends one on', async () => {
    const { target, forwarder, get } = setUp();
    const answer = await get('/totals/1', OTHER);
    expect(forwarder.calls).toEqual([]);
    expect(target.reads.map((r) => r.partition)).toEqual([1]);
    expect(answer.status).toBe(200);
    target.answer = () => NOT_OWNER;
    const refused = await get('/totals/1', OTHER);
    expect(refused.status).toBe(503);
    expect(bodyOf(refused).error).toBe('not-owner');
    expect(forwarder.calls).toEqual([]);
  });

  it('says 503 restoring, with Retry-After, rather than answering from a task that restores', async () => {
    const { target, get } = setUp();
    target.answer = () => RESTORING;
    const answer = await get('/totals/0');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('2');
    expect(bodyOf(answer)).toMatchObject({ error: 'restoring', partition: 0, retryAfterSeconds: 2 });
  });

  it('says 503 owner-unknown while the routing names no owner for the partition', async () => {
    const { target, forwarder, get } = setUp();
    const answer = await get('/totals/3');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('2');
    expect(bodyOf(answer)).toMatchObject({ error: 'owner-unknown', partition: 3 });
    expect(target.reads).toEqual([]);
    expect(forwarder.calls).toEqual([]);
  });

  it('says 503 owner-unreachable when the owner does not answer the forwarded query', async () => {
    const { forwarder, get } = setUp();
    forwarder.reply = (endpoint) => {
      throw new QueryForwardError(endpoint, 'no answer within 2000 ms');
    };
    const answer = await get('/totals/1');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('2');
    expect(bodyOf(answer)).toMatchObject({ error: 'owner-unreachable', partition: 1 });
    expect(String(bodyOf(answer).message)).toMatch(/b\.saldo:8080 did not answer: no answer within 2000 ms/);
  });

  it('says 503 not-owner when the routing names this instance but the task has moved', async () => {
    const { target, get } = setUp();
    target.answer = () => NOT_OWNER;
    const answer = await get('/totals/0');
    expect(answer.status).toBe(503);
    expect(bodyOf(answer).error).toBe('not-owner');
  });

  it('without a routing answers every key locally, and says owner-unknown for a task it does not run', async () => {
    const { target, forwarder, get } = setUp();
    target.routing = undefined;
    expect((await get('/totals/1')).status).toBe(200);
    target.answer = (partition) => (partition === 3 ? NOT_OWNER : { status: 'ok', values: [undefined] });
    expect((await get('/totals/2')).status).toBe(404);
    const unknown = await get('/totals/3');
    expect(unknown.status).toBe(503);
    expect(bodyOf(unknown).error).toBe('owner-unknown');
    expect(forwarder.calls).toEqual([]);
  });

  it('says 503 starting before the instance knows its partition count', async () => {
    const { target, get } = setUp();
    target.partitionCount = undefined;
    const answer = await get('/totals/0');
    expect(answer.status).toBe(503);
    expect(bodyOf(answer).error).toBe('starting');
    expect(answer.headers['retry-after']).toBe('2');
  });

  it('refuses bad keys with 400 and what is wrong, before placing them', async () => {
    const { target, get } = setUp();
    for (const [url, message] of [
      ['/totals/%E0%A4%A', /percent-encoded/],
      ['/totals/1%0Ax', /control characters/],
      [`/totals/1${'x'.repeat(256)}`, /longer than 256 bytes/],
      ['/totals/abc', /start with their partition/],
      ['/totals/', /the key is empty/],
    ] as const) {
      const answer = await get(url);
      expect(answer.status, url).toBe(400);
      expect(bodyOf(answer)).toMatchObject({ error: 'bad-key' });
      expect(String(bodyOf(answer).message)).toMatch(message);
    }
    expect(target.reads).toEqual([]);
  });

  it('answers 404 for a path no route has, 405 for anything but GET', async () => {
    const { get, handler } = setUp();
    const unknown = await get('/totals/1/more');
    expect(unknown.status).toBe(404);
    expect(bodyOf(unknown)).toMatchObject({ error: 'no-such-query' });
    expect(String(bodyOf(unknown).message)).toMatch(/known: \/totals\/\{key\}/);
    const post = await handler.handle({ method: 'POST', url: '/totals/1' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('answers 500 without the key when the route fails, and logs why', async () => {
    const { target, get } = setUp();
    target.answer = () => ({ status: 'ok', values: [Buffer.from('not a number')] });
    const answer = await get('/totals/0');
    expect(answer.status).toBe(500);
    expect(answer.body).not.toMatch(/not a number/);
  });
});
