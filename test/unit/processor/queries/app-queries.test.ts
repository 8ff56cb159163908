import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { StreamsApp } from '../../../../processor/index.ts';
import type { QueryRouting } from '../../../../processor/queries/index.ts';
import { countingTopology } from '../../../../topologies/counting.ts';
import { runPendingStreamThread } from '../../../support/pending-stream-thread.ts';

const base = { applicationId: 'balances', brokers: ['h:1'], stateDir: tmpdir(), logLevel: 'silent' as const };
const routing = (generation: number, endpoint: string): QueryRouting => ({
  generation,
  activeEndpoints: new Map([[0, endpoint]]),
});

describe('a StreamsApp as the target of queries', () => {
  it('keeps the latest routing it is given and tells its thread of each one it takes', () => {
    const taken: QueryRouting[] = [];
    const app = new StreamsApp(countingTopology({ input: 'in', output: 'out' }), base, {
      onRouting: (r) => taken.push(r),
    });
    expect(app.routing).toBeUndefined();
    app.onRouting(routing(2, 'a:1'));
    app.onRouting(routing(1, 'b:1'));
    app.onRouting(routing(3, 'c:1'));
    expect(app.routing?.activeEndpoints.get(0)).toBe('c:1');
    expect(taken.map((r) => r.generation)).toEqual([2, 3]);
  });

  it('runs no task before it starts: no partition count, and every read is not-owner', async () => {
    const app = new StreamsApp(countingTopology({ input: 'in', output: 'out' }), base);
    expect(app.partitionCount).toBeUndefined();
    expect(await app.readLocal(0, [{ store: 'totals', key: Buffer.from('k') }])).toEqual({
      status: 'not-owner',
    });
  });
});

describe('a stream thread asked for a query', () => {
  it('answers with the same id, not-owner while its app is not built', async () => {
    const { receive, posted } = runPendingStreamThread(base);
    receive({
      type: 'query',
      requestId: 4,
      partition: 0,
      reads: [{ store: 'totals', key: Buffer.from('k') }],
    });
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({ type: 'query', requestId: 4, answer: { status: 'not-owner' } });
  });
});
