// The memory allocator of the saldo process the benchmark measures: jemalloc where the machine has
// it, as the image runs saldo (Dockerfile), or glibc's malloc with two arenas (cli/node-options.ts).
import {
  JEMALLOC_LIBRARY_PATHS,
  RECOMMENDED_MALLOC_ARENA_MAX,
  jemallocLibrary,
} from '../../cli/node-options.ts';

export interface SaldoAllocator {
  readonly name: 'jemalloc' | 'glibc';
  /** For the report: what ran, and how. */
  readonly description: string;
  /** What the saldo process's environment gets (and overrides of the bench's own). */
  readonly env: Readonly<Record<string, string>>;
}

const GLIBC: SaldoAllocator = {
  name: 'glibc',
  description: `glibc malloc, MALLOC_ARENA_MAX=${RECOMMENDED_MALLOC_ARENA_MAX}`,
  // An LD_PRELOAD of the bench's own environment must not reach saldo.
  env: { MALLOC_ARENA_MAX: String(RECOMMENDED_MALLOC_ARENA_MAX), LD_PRELOAD: '' },
};

/**
 * `--allocator`: 'jemalloc', 'glibc', or undefined for jemalloc where it is installed and glibc
 * where not. Asking for jemalloc where there is none is an error, not a silent glibc run.
 */
export function saldoAllocator(
  choice: string | undefined,
  exists: (path: string) => boolean,
): SaldoAllocator {
  if (choice !== undefined && choice !== 'jemalloc' && choice !== 'glibc') {
    throw new RangeError(`--allocator must be jemalloc or glibc, not ${choice}`);
  }
  if (choice === 'glibc') return GLIBC;
  const library = jemallocLibrary(exists);
  if (library !== undefined) {
    return {
      name: 'jemalloc',
      description: `jemalloc (LD_PRELOAD=${library})`,
      env: { LD_PRELOAD: library },
    };
  }
  if (choice === 'jemalloc') {
    throw new Error(
      `--allocator jemalloc: no libjemalloc.so.2 at ${JEMALLOC_LIBRARY_PATHS.join(', ')} (Debian: apt-get install libjemalloc2)`,
    );
  }
  return GLIBC;
}
