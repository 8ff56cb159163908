import { describe, expect, it } from 'vitest';
import { ReadCache } from '../../../state/read-cache.ts';

// Bytes the cache counts for an entry: key and value characters plus a fixed overhead.
const probe = new ReadCache(1_000_000);
probe.store('k', 'v');
const OVERHEAD = probe.bytes - 2;

const sizeOf = (key: string, value: string | null) => key.length + (value?.length ?? 0) + OVERHEAD;

describe('ReadCache', () => {
  it('answers with the stored value, null for a key stored as absent, undefined for one never stored', () => {
    const cache = new ReadCache(10_000);
    cache.store('acct-1', '100');
    cache.store('acct-2', null);
    expect(cache.lookup('acct-1')).toBe('100');
    expect(cache.lookup('acct-2')).toBeNull();
    expect(cache.lookup('acct-3')).toBeUndefined();
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 1 });
  });

  it('counts the bytes of keys and values, replacing and forgetting included', () => {
    const cache = new ReadCache(10_000);
    cache.store('a', '12345');
    cache.store('b', null);
    expect(cache.bytes).toBe(sizeOf('a', '12345') + sizeOf('b', null));
    cache.store('a', '1');
    expect(cache.bytes).toBe(sizeOf('a', '1') + sizeOf('b', null));
    cache.forget('b');
    cache.forget('never-stored');
    expect(cache.bytes).toBe(sizeOf('a', '1'));
    expect(cache.size).toBe(1);
    cache.clear();
    expect({ bytes: cache.bytes, size: cache.size }).toEqual({ bytes: 0, size: 0 });
  });

  it('stays within its bound by evicting the least recently used entries first', () => {
    const cache = new ReadCache(3 * sizeOf('k1', 'v1'));
    cache.store('k1', 'v1');
    cache.store('k2', 'v2');
    cache.store('k3', 'v3');
    expect(cache.lookup('k1')).toBe('v1'); // k1 is now more recent than k2 and k3
    cache.store('k4', 'v4');
    expect(cache.lookup('k2')).toBeUndefined();
    expect(cache.lookup('k1')).toBe('v1');
    expect(cache.lookup('k3')).toBe('v3');
    expect(cache.lookup('k4')).toBe('v4');
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
  });

  it('never caches an entry larger than its bound, and forgets the key instead', () => {
    const cache = new ReadCache(sizeOf('k', '12345'));
    cache.store('k', '12345');
    cache.store('k', '123456');
    expect(cache.lookup('k')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it('evicts down to a smaller bound when resized, and holds nothing with a bound of 0', () => {
    const cache = new ReadCache(10 * sizeOf('k0', 'v0'));
    for (let i = 0; i < 10; i++) cache.store(`k${i}`, `v${i}`);
    cache.resize(4 * sizeOf('k0', 'v0'));
    expect(cache.size).toBe(4);
    expect(cache.lookup('k9')).toBe('v9');
    cache.resize(0);
    expect(cache.size).toBe(0);
    cache.store('k1', 'v1');
    expect(cache.lookup('k1')).toBeUndefined();
  });

  it('never answers with anything but the value last stored for a key, however it is used', () => {
    // A model of what was stored last per key; the cache may have evicted anything, but whatever
    // it answers must be that last value.
    const model = new Map<string, string | null>();
    const cache = new ReadCache(40 * sizeOf('k00', 'value-00'));
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed % n;
    };
    for (let step = 0; step < 50_000; step++) {
      const key = `k${random(100)}`;
      const action = random(10);
      if (action < 5) {
        const answer = cache.lookup(key);
        if (answer !== undefined) expect(answer).toBe(model.get(key));
      } else if (action < 9) {
        const value = random(5) === 0 ? null : `value-${random(1000)}`;
        cache.store(key, value);
        model.set(key, value);
      } else {
        cache.forget(key);
        model.delete(key);
      }
      expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
    }
    expect(cache.hits).toBeGreaterThan(0);
  });
});
