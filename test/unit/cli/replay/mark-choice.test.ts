import { describe, expect, it } from 'vitest';
import {
  chooseMark,
  formatDuration,
  historyProblem,
  type StoredMark,
} from '../../../../cli/replay/mark-choice.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function stored(offset: number, inputs: Record<string, number>): StoredMark {
  return {
    offset,
    mark: {
      task: '0_0',
      inputs,
      changelogs: { 'app-balances-changelog': offset * 10 },
      streamTimeMs: 0,
      wallClockMs: 0,
    },
  };
}

describe('the mark a replay starts from', () => {
  const marks = [
    stored(0, { 'account-limits': 5 }), // before the task's first transaction
    stored(1, { transactions: 100, 'account-limits': 5 }),
    stored(2, { transactions: 250, 'account-limits': 5 }),
    stored(3, { transactions: 400, 'account-limits': 6 }),
  ];

  it('is the furthest mark at or before the target in every stream input', () => {
    expect(chooseMark(marks, { transactions: 399 }, ['transactions'])?.offset).toBe(2);
    expect(chooseMark(marks, { transactions: 400 }, ['transactions'])?.offset).toBe(3);
    expect(chooseMark(marks, { transactions: 1_000_000 }, ['transactions'])?.offset).toBe(3);
  });

  it('is none when every mark is after the target, or has no offset of the input', () => {
    expect(chooseMark(marks, { transactions: 99 }, ['transactions'])).toBeUndefined();
    expect(chooseMark([marks[0] as StoredMark], { transactions: 10 }, ['transactions'])).toBeUndefined();
    expect(chooseMark(marks, {}, ['transactions'])).toBeUndefined();
  });

  it('of marks at the same offsets (an earlier replay marked them again), is the last written', () => {
    const again = [
      ...marks,
      stored(9, { transactions: 250, 'account-limits': 6 }),
      stored(10, { transactions: 500 }),
    ];
    expect(chooseMark(again, { transactions: 300 }, ['transactions'])?.offset).toBe(9);
  });

  it('with several stream inputs, is at or before the target in each', () => {
    const two = [stored(1, { a: 10, b: 10 }), stored(2, { a: 20, b: 12 }), stored(3, { a: 21, b: 30 })];
    expect(chooseMark(two, { a: 25, b: 20 }, ['a', 'b'])?.offset).toBe(2);
    expect(chooseMark(two, { a: 15, b: 100 }, ['a', 'b'])?.offset).toBe(1);
  });
});

describe('whether a changelog still holds the values at a mark', () => {
  const now = 100 * DAY;

  it('does while the oldest record written after the mark is younger than the compaction lag', () => {
    expect(historyProblem('c', 7 * DAY, now - 7 * DAY + 1, now)).toBeUndefined();
    expect(historyProblem('c', 7 * DAY, now - 7 * DAY, now)).toMatch(
      /changelog c keeps 7 d of history \(min.compaction.lag.ms\), but the mark is 7 d old/,
    );
  });

  it('does whatever its age when nothing was written after the mark', () => {
    expect(historyProblem('c', 7 * DAY, undefined, now)).toBeUndefined();
    expect(historyProblem('c', 0, undefined, now)).toBeUndefined();
  });

  it('may not when the changelog keeps no history', () => {
    expect(historyProblem('c', 0, now - 1, now)).toMatch(/keeps no history \(min.compaction.lag.ms is 0/);
  });

  it('says durations as people do', () => {
    expect(formatDuration(7 * DAY)).toBe('7 d');
    expect(formatDuration(90 * 60_000)).toBe('1.5 h');
    expect(formatDuration(999)).toBe('999 ms');
  });
});
