import { describe, expect, it } from 'vitest';
import { ChangelogRewrite, type ChangelogEntry } from '../../../../cli/replay/changelog-rewrite.ts';

const entry = (key: string, value: string | null, timestamp = 0): ChangelogEntry => ({
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp,
});

/** The state a changelog gives: the last value per key, deleted keys absent. */
function fold(records: ReadonlyArray<{ key: Buffer | null; value: Buffer | null }>): Map<string, string> {
  const state = new Map<string, string>();
  for (const r of records) {
    const key = r.key?.toString() ?? '';
    if (r.value === null) state.delete(key);
    else state.set(key, r.value.toString());
  }
  return state;
}

function rewriteOf(before: ChangelogEntry[], after: ChangelogEntry[]) {
  const rewrite = new ChangelogRewrite();
  for (const r of after) rewrite.afterMark(r);
  for (const r of before) rewrite.beforeMark(r);
  return rewrite;
}

describe('the rewrite of a changelog back to a mark', () => {
  const before = [
    entry('a', 'a1'),
    entry('b', 'b1'),
    entry('c', 'c1'),
    entry('a', 'a2'),
    entry('d', 'd1'),
    entry('d', null),
  ];
  const after = [
    entry('a', 'a3', 50), // changed
    entry('c', null, 60), // deleted
    entry('e', 'e1', 40), // new
    entry('b', 'b2', 70),
    entry('b', 'b1', 80), // changed and changed back
    entry('d', 'd2', 90), // deleted before the mark, written again
  ];

  it('writes each changed key’s value at the mark, a tombstone for a key the mark did not have', () => {
    const rewrite = rewriteOf(before, after);
    expect(rewrite.changedKeys).toBe(5);
    expect(rewrite.oldestAfterMarkMs).toBe(40);
    expect(rewrite.records().map((r) => [r.key.toString(), r.value?.toString() ?? null])).toEqual([
      ['a', 'a2'],
      ['c', 'c1'],
      ['d', null],
      ['e', null],
    ]);
  });

  it('gives the state at the mark once appended, and nothing more to write when computed again', () => {
    const rewritten = [...before, ...after, ...rewriteOf(before, after).records()];
    expect(fold(rewritten)).toEqual(fold(before));
    const again = rewriteOf(before, [
      ...after,
      ...rewriteOf(before, after)
        .records()
        .map((r) => ({ ...r, timestamp: 99 })),
    ]);
    expect(again.records()).toEqual([]);
  });

  it('writes nothing when nothing changed after the mark', () => {
    const rewrite = rewriteOf(before, []);
    expect(rewrite.changedKeys).toBe(0);
    expect(rewrite.oldestAfterMarkMs).toBeUndefined();
    expect(rewrite.records()).toEqual([]);
  });

  it('takes the records after the mark first', () => {
    const rewrite = new ChangelogRewrite();
    rewrite.beforeMark(entry('a', 'a1'));
    expect(() => rewrite.afterMark(entry('a', 'a2'))).toThrow(/after the mark come first/);
  });
});
