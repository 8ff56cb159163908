import { describe, expect, it } from 'vitest';
import {
  deadLetterOf,
  formatDeadLetters,
  parseDeadLetterIds,
  replayRecordOf,
} from '../../../../cli/dlq/dead-letters.ts';
import { DLQ_HEADERS, deadLetterFor } from '../../../../processor/dead-letter.ts';
import { RejectedRecordError } from '../../../../processor/errors.ts';
import type { ConsumedRecord } from '../../../../processor/records.ts';

// A dead letter as the engine writes it (deadLetterFor), then as consumed from <app>-dlq.
const original: ConsumedRecord = {
  topic: 'transactions',
  partition: 3,
  offset: 812,
  timestamp: 1_764_000_000_000,
  key: Buffer.from('acct-9'),
  value: Buffer.from([0, 0, 0, 0, 7, 1, 2]),
  headers: { 'trace-id': Buffer.from('abc'), ['__proto__']: Buffer.from('odd') },
};
const outgoing = deadLetterFor(
  'bank',
  '1.4.0',
  '0_3',
  original,
  'invalid',
  new RejectedRecordError('currency', 'currency XXX is not ISO 4217'),
);
const consumed: ConsumedRecord = {
  topic: outgoing.topic,
  partition: outgoing.partition ?? 0,
  offset: 5,
  timestamp: outgoing.timestamp ?? 0,
  key: outgoing.key,
  value: outgoing.value,
  headers: outgoing.headers ?? {},
};

describe('dead letters as saldo dlq reads them', () => {
  it('says why the record failed and where it came from', () => {
    expect(deadLetterOf(consumed)).toEqual({
      id: '3:5',
      partition: 3,
      offset: 5,
      reason: 'invalid',
      errorClass: 'RejectedRecordError',
      errorMessage: 'currency XXX is not ISO 4217',
      errorCode: 'currency',
      origin: { topic: 'transactions', partition: 3, offset: 812, timestamp: 1_764_000_000_000 },
      task: '0_3',
      appVersion: '1.4.0',
      key: 'acct-9',
      valueBytes: 7,
    });
  });

  it('replays the record as it was consumed, to its partition, without the dead-letter headers', () => {
    const replay = replayRecordOf(consumed);
    expect(replay.topic).toBe('transactions');
    expect(replay.partition).toBe(3);
    expect(replay.key).toEqual(original.key);
    expect(replay.value).toEqual(original.value);
    expect(Object.keys(replay.headers).sort()).toEqual(['__proto__', 'trace-id']);
    expect(Object.keys(replay.headers).some((name) => name.startsWith('saldo.dlq.'))).toBe(false);
  });

  it('refuses to replay a record that does not name its origin', () => {
    const bare = { ...consumed, headers: { [DLQ_HEADERS.reason]: Buffer.from('processing') } };
    expect(() => replayRecordOf(bare)).toThrow(/does not name its origin/);
  });

  it('reads ids as partition:offset and refuses anything else', () => {
    expect(parseDeadLetterIds('0:12, 3:40,')).toEqual(['0:12', '3:40']);
    expect(() => parseDeadLetterIds('0:12,x')).toThrow(/'x' is not a dead letter id/);
  });

  it('prints one line per dead letter', () => {
    const text = formatDeadLetters([deadLetterOf(consumed)]);
    expect(text).toContain('3:5');
    expect(text).toContain('transactions[3]@812');
    expect(text).toContain('RejectedRecordError (currency): currency XXX is not ISO 4217');
    expect(formatDeadLetters([])).toBe('no dead letters\n');
  });
});
