import { describe, expect, it } from 'vitest';
import {
  RoutingTable,
  decideRoute,
  routingOf,
  type QueryRouting,
} from '../../../../processor/queries/index.ts';

const routing = (generation: number, entries: Array<[number, string]>): QueryRouting => ({
  generation,
  activeEndpoints: new Map(entries),
});

describe('where a query goes', () => {
  const two = routing(4, [
    [0, 'a:8080'],
    [1, 'b:8080'],
  ]);

  it('is answered here when the routing names this instance for the key’s partition', () => {
    expect(decideRoute({ partition: 0, routing: two, self: 'a:8080', forwarded: false })).toEqual({
      kind: 'local',
    });
  });

  it('is forwarded to the instance the routing names otherwise', () => {
    expect(decideRoute({ partition: 1, routing: two, self: 'a:8080', forwarded: false })).toEqual({
      kind: 'forward',
      endpoint: 'b:8080',
    });
  });

  it('is never forwarded again once forwarded, whatever this instance’s routing says (no loops)', () => {
    expect(decideRoute({ partition: 1, routing: two, self: 'a:8080', forwarded: true })).toEqual({
      kind: 'local',
    });
  });

  it('has no owner while the routing names none for its partition (a rebalance)', () => {
    expect(decideRoute({ partition: 2, routing: two, self: 'a:8080', forwarded: false })).toEqual({
      kind: 'owner-unknown',
    });
  });

  it('is local for every partition before any routing arrives (one instance)', () => {
    for (const partition of [0, 1, 5]) {
      expect(decideRoute({ partition, routing: undefined, self: 'a:8080', forwarded: false })).toEqual({
        kind: 'local',
      });
    }
  });
});

describe('the routing table', () => {
  it('keeps the latest generation: a later one replaces it, an older one arriving late does not', () => {
    const table = new RoutingTable();
    expect(table.current).toBeUndefined();
    expect(table.update(routing(3, [[0, 'a:1']]))).toBe(true);
    expect(table.update(routing(5, [[0, 'b:1']]))).toBe(true);
    expect(table.update(routing(4, [[0, 'c:1']]))).toBe(false);
    expect(table.current?.activeEndpoints.get(0)).toBe('b:1');
    // Another thread's report of the same generation replaces it (the same assignment, seen later).
    expect(table.update(routing(5, [[0, 'd:1']]))).toBe(true);
    expect(table.current?.generation).toBe(5);
  });
});

describe('routingOf: the routing an assignment carries', () => {
  it('maps the assignment’s partition keys to numbers, with the generation it came with', () => {
    const routed = routingOf(7, { '0': 'saldo-0:8080', '11': 'saldo-2:8080' });
    expect(routed.generation).toBe(7);
    expect([...routed.activeEndpoints]).toEqual([
      [0, 'saldo-0:8080'],
      [11, 'saldo-2:8080'],
    ]);
    expect(decideRoute({ partition: 11, routing: routed, self: 'saldo-0:8080', forwarded: false })).toEqual({
      kind: 'forward',
      endpoint: 'saldo-2:8080',
    });
  });
});
