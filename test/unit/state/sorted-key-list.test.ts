import { describe, expect, it } from 'vitest';
import { SortedKeyList } from '../../../state/sorted-key-list.ts';

// A small deterministic generator, so that a failure reproduces.
function pseudoRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

describe('SortedKeyList', () => {
  it('keeps byte order through thousands of inserts and deletes across chunk splits', () => {
    const random = pseudoRandom(42);
    const list = new SortedKeyList();
    const reference = new Set<string>();
    const randomKey = () =>
      String.fromCharCode(
        ...Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * 256)),
      );
    for (let step = 0; step < 5_000; step += 1) {
      const key = randomKey();
      if (random() < 0.7) {
        list.insert(key);
        reference.add(key);
      } else {
        list.delete(key);
        reference.delete(key);
      }
    }
    const sorted = [...reference].sort((a, b) =>
      Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')),
    );
    expect(list.size).toBe(reference.size);
    expect(list.range(undefined, undefined, false)).toEqual(sorted);
    expect(list.range(undefined, undefined, true)).toEqual([...sorted].reverse());

    const [low, high] = ['\x40', '\xc0'];
    expect(list.range(low, high, false)).toEqual(sorted.filter((key) => key >= low && key < high));
  });

  it('builds from unsorted keys and answers ranges with either bound open', () => {
    const list = SortedKeyList.from(['d', 'a', 'c', 'b']);
    expect(list.range('b', undefined, false)).toEqual(['b', 'c', 'd']);
    expect(list.range(undefined, 'c', true)).toEqual(['b', 'a']);
    expect(list.range('e', undefined, false)).toEqual([]);
  });
});
