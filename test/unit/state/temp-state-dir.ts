import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';

interface Closable {
  close(): Promise<void>;
}

/**
 * A fresh state directory under os.tmpdir() for each test, removed afterwards together with
 * whatever the test registered with `closeAfter` (engines, state managers).
 */
export function useTempStateDir(): { readonly path: string; closeAfter<T extends Closable>(resource: T): T } {
  let current: string | undefined;
  const toClose: Closable[] = [];

  beforeEach(async () => {
    current = await mkdtemp(path.join(tmpdir(), 'saldo-state-'));
  });

  afterEach(async () => {
    await Promise.allSettled(toClose.splice(0).map((resource) => resource.close()));
    if (current !== undefined) await rm(current, { recursive: true, force: true });
    current = undefined;
  });

  return {
    get path(): string {
      if (current === undefined) throw new Error('the temp state dir exists only inside a test');
      return current;
    },
    closeAfter<T extends Closable>(resource: T): T {
      toClose.push(resource);
      return resource;
    },
  };
}

export const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');
export const text = (value: Buffer | undefined): string | undefined => value?.toString('latin1');

/** Drains an async iterable into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
