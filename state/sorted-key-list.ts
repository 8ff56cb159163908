// An ordered set of latin1 key strings, kept as a list of sorted chunks (the layout of Python's
// sortedcontainers): insert and delete splice one small chunk instead of one big array, and a
// range lookup is two binary searches. Latin1 maps each byte to one UTF-16 code unit, so string
// order here is exactly the byte order LevelDB uses.

const MAX_CHUNK = 512;

/** Index of the first element >= key. */
function lowerBound(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as string) < key) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class SortedKeyList {
  private chunks: string[][] = [];
  // Last (largest) key of each chunk, to find a key's chunk by binary search.
  private maxima: string[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Builds the list from keys in any order. */
  static from(keys: Iterable<string>): SortedKeyList {
    const list = new SortedKeyList();
    const sorted = [...keys].sort();
    for (let start = 0; start < sorted.length; start += MAX_CHUNK) {
      const chunk = sorted.slice(start, start + MAX_CHUNK);
      list.chunks.push(chunk);
      list.maxima.push(chunk[chunk.length - 1] as string);
    }
    list.count = sorted.length;
    return list;
  }

  insert(key: string): void {
    if (this.chunks.length === 0) {
      this.chunks.push([key]);
      this.maxima.push(key);
      this.count = 1;
      return;
    }
    // Keys above every maximum go to the last chunk.
    const chunkIndex = Math.min(lowerBound(this.maxima, key), this.chunks.length - 1);
    const chunk = this.chunks[chunkIndex] as string[];
    const position = lowerBound(chunk, key);
    if (chunk[position] === key) return;
    chunk.splice(position, 0, key);
    this.count += 1;
    this.maxima[chunkIndex] = chunk[chunk.length - 1] as string;
    if (chunk.length > MAX_CHUNK) {
      const upperHalf = chunk.splice(chunk.length >>> 1);
      this.chunks.splice(chunkIndex + 1, 0, upperHalf);
      this.maxima.splice(
        chunkIndex,
        1,
        chunk[chunk.length - 1] as string,
        upperHalf[upperHalf.length - 1] as string,
      );
    }
  }

  delete(key: string): void {
    const chunkIndex = lowerBound(this.maxima, key);
    const chunk = this.chunks[chunkIndex];
    if (chunk === undefined) return;
    const position = lowerBound(chunk, key);
    if (chunk[position] !== key) return;
    chunk.splice(position, 1);
    this.count -= 1;
    if (chunk.length === 0) {
      this.chunks.splice(chunkIndex, 1);
      this.maxima.splice(chunkIndex, 1);
    } else {
      this.maxima[chunkIndex] = chunk[chunk.length - 1] as string;
    }
  }

  /** Keys with gte <= key < lt (either bound optional), ascending or descending, as a new array. */
  range(gte: string | undefined, lt: string | undefined, reverse: boolean): string[] {
    const keys: string[] = [];
    let chunkIndex = gte === undefined ? 0 : lowerBound(this.maxima, gte);
    let position = gte === undefined ? 0 : lowerBound(this.chunks[chunkIndex] ?? [], gte);
    for (; chunkIndex < this.chunks.length; chunkIndex += 1, position = 0) {
      const chunk = this.chunks[chunkIndex] as string[];
      for (; position < chunk.length; position += 1) {
        const key = chunk[position] as string;
        if (lt !== undefined && key >= lt) return reverse ? keys.reverse() : keys;
        keys.push(key);
      }
    }
    return reverse ? keys.reverse() : keys;
  }
}
