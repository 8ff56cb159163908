import { describe, expect, it } from 'vitest';
import { formatTime, parseTime, runIdAt } from '../../../../cli/backtest/times.ts';

describe('the times of saldo backtest', () => {
  it('reads ISO-8601 times with their zone, dates as midnight UTC, and epoch ms', () => {
    expect(parseTime('2026-12-01T06:00:00Z')).toBe(Date.UTC(2026, 11, 1, 6));
    expect(parseTime('2026-12-01T00:00-06:00')).toBe(Date.UTC(2026, 11, 1, 6));
    expect(parseTime('2026-12-01T11:30:00.5+05:30')).toBe(Date.UTC(2026, 11, 1, 6, 0, 0, 500));
    expect(parseTime('2026-12-01')).toBe(Date.UTC(2026, 11, 1));
    expect(parseTime(' 1796104800000 ')).toBe(1_796_104_800_000);
    expect(parseTime('0')).toBe(0);
  });

  it('refuses a time without its zone, days and hours that do not exist, and anything else', () => {
    for (const text of [
      '2026-12-01T06:00',
      '2026-12-01T06:00:00',
      '2026-02-30',
      '2026-13-01',
      '2026-12-01T24:00Z',
      '2026-12-01T06:60Z',
      '2026-12-01T06:00+24:00',
      'Dec 1 2026',
      'yesterday',
      '-5',
      '1.5',
      '',
    ]) {
      expect(parseTime(text), text).toBeUndefined();
    }
  });

  it('writes times in UTC, and a run id that fits a topic name and sorts by time', () => {
    const at = Date.UTC(2026, 11, 7, 10, 15, 2, 345);
    expect(formatTime(at)).toBe('2026-12-07T10:15:02.345Z');
    expect(runIdAt(at)).toBe('20261207T101502Z');
    expect(runIdAt(at) < runIdAt(at + 1_000)).toBe(true);
  });
});
