import { describe, expect, it } from 'vitest';
import { saldoAllocator } from '../../../bench/pipeline/allocator.ts';
import { JEMALLOC_LIBRARY_PATHS, jemallocLibrary } from '../../../cli/node-options.ts';

const ARM = '/usr/lib/aarch64-linux-gnu/libjemalloc.so.2';
const only =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);

describe('jemalloc for an engine process', () => {
  it('is the first known library that exists, or none', () => {
    expect(jemallocLibrary(only(ARM))).toBe(ARM);
    expect(jemallocLibrary(only(ARM, '/usr/lib/libjemalloc.so.2'))).toBe(ARM);
    expect(jemallocLibrary(only())).toBeUndefined();
    expect(JEMALLOC_LIBRARY_PATHS).toContain('/usr/lib/x86_64-linux-gnu/libjemalloc.so.2');
  });
});

describe('the product benchmark’s allocator', () => {
  it('preloads jemalloc where it is installed, unless glibc is asked for', () => {
    const jemalloc = saldoAllocator(undefined, only(ARM));
    expect(jemalloc).toEqual({
      name: 'jemalloc',
      description: `jemalloc (LD_PRELOAD=${ARM})`,
      env: { LD_PRELOAD: ARM },
    });
    const glibc = saldoAllocator('glibc', only(ARM));
    expect(glibc.name).toBe('glibc');
    // The bench's own LD_PRELOAD must not leak into saldo's glibc run.
    expect(glibc.env).toEqual({ MALLOC_ARENA_MAX: '2', LD_PRELOAD: '' });
  });

  it('falls back to glibc where jemalloc is missing, but refuses to when jemalloc is asked for', () => {
    expect(saldoAllocator(undefined, only()).name).toBe('glibc');
    expect(() => saldoAllocator('jemalloc', only())).toThrow(
      /no libjemalloc.so.2 at .*apt-get install libjemalloc2/,
    );
    expect(() => saldoAllocator('tcmalloc', only(ARM))).toThrow(/jemalloc or glibc, not tcmalloc/);
  });
});
