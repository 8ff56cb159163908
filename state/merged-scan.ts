import type { StoreWrite } from './store-engine.ts';

/**
 * Merges entries read from disk with a transaction's buffered writes for the same range, both
 * already in scan order: a buffered put replaces the disk entry of its key, a buffered delete
 * hides it. Stops after `limit` entries.
 */
export async function* mergeWithBuffered(
  diskEntries: AsyncIterable<[Buffer, Buffer]>,
  buffered: readonly StoreWrite[],
  reverse: boolean,
  limit: number,
): AsyncGenerator<[Buffer, Buffer]> {
  let remaining = limit;
  if (remaining <= 0) return;
  const direction = reverse ? -1 : 1;
  let next = 0;

  for await (const [diskKey, diskValue] of diskEntries) {
    let diskKeyOverridden = false;
    while (next < buffered.length) {
      const write = buffered[next] as StoreWrite;
      const order = Buffer.compare(write.key, diskKey) * direction;
      if (order > 0) break;
      next += 1;
      if (order === 0) diskKeyOverridden = true;
      if (write.value !== null) {
        yield [write.key, write.value];
        if (--remaining === 0) return;
      }
    }
    if (!diskKeyOverridden) {
      yield [diskKey, diskValue];
      if (--remaining === 0) return;
    }
  }

  for (; next < buffered.length; next += 1) {
    const write = buffered[next] as StoreWrite;
    if (write.value === null) continue;
    yield [write.key, write.value];
    if (--remaining === 0) return;
  }
}
