import { describe, expect, it } from 'vitest';
import {
  ReplayArgumentError,
  parsePartitions,
  parseReplayFrom,
} from '../../../../cli/replay/replay-target.ts';

describe('where saldo replay starts', () => {
  it('reads --from as an ISO time or epoch ms', () => {
    expect(parseReplayFrom('2026-12-08T10:00:00Z', undefined)).toEqual({
      kind: 'time',
      timestampMs: Date.UTC(2026, 11, 8, 10),
    });
    expect(parseReplayFrom('1796398421873', undefined)).toEqual({ kind: 'time', timestampMs: 1796398421873 });
    expect(() => parseReplayFrom('yesterday', undefined)).toThrow(/--from must be an ISO time/);
  });

  it('reads --from-offset as one offset or partition:offset pairs', () => {
    expect(parseReplayFrom(undefined, '1200')).toEqual({ kind: 'offsets', offsets: { all: 1200 } });
    expect(parseReplayFrom(undefined, '0:1200, 3:950')).toEqual({
      kind: 'offsets',
      offsets: new Map([
        [0, 1200],
        [3, 950],
      ]),
    });
    expect(() => parseReplayFrom(undefined, '0:1,0:2')).toThrow(/names partition 0 twice/);
    expect(() => parseReplayFrom(undefined, '0=1')).toThrow(/partition:offset pairs/);
  });

  it('wants exactly one of the two', () => {
    expect(() => parseReplayFrom(undefined, undefined)).toThrow(ReplayArgumentError);
    expect(() => parseReplayFrom('1', '1')).toThrow(/--from <ISO time/);
  });

  it('replays every partition unless told which, and checks them against the input', () => {
    const time = parseReplayFrom('1', undefined);
    expect(parsePartitions(undefined, 4, time)).toEqual([0, 1, 2, 3]);
    expect(parsePartitions('3,1,1', 4, time)).toEqual([1, 3]);
    expect(() => parsePartitions('4', 4, time)).toThrow(/from 0 to 3 \(the input has 4\)/);
    const pairs = parseReplayFrom(undefined, '2:10,0:5');
    expect(parsePartitions(undefined, 4, pairs)).toEqual([0, 2]);
    expect(() => parsePartitions('1', 4, pairs)).toThrow(/no offset for partition 1/);
  });
});
