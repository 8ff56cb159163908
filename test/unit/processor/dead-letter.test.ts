import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, deadLetterFor, processingFailureReason } from '../../../processor/dead-letter.ts';
import { RejectedRecordError } from '../../../processor/errors.ts';

describe('dead letters', () => {
  const record = {
    topic: 'transactions',
    partition: 3,
    offset: 42,
    timestamp: 1_700_000_000_000,
    key: Buffer.from('acct-1'),
    value: Buffer.from('{not json'),
    headers: { 'trace-id': Buffer.from('abc') },
  };

  it('keep the original bytes and headers and say why and where from', () => {
    const dl = deadLetterFor(
      'balances',
      '1.2.3',
      '0_3',
      record,
      'deserialization',
      new SyntaxError('Unexpected token n'),
    );
    expect(dl.topic).toBe('balances-dlq');
    expect(dl.partition).toBe(3);
    expect(dl.key).toEqual(record.key);
    expect(dl.value).toEqual(record.value);
    const h = Object.fromEntries(Object.entries(dl.headers ?? {}).map(([k, v]) => [k, v.toString()]));
    expect(h).toMatchObject({
      'trace-id': 'abc',
      [DLQ_HEADERS.reason]: 'deserialization',
      [DLQ_HEADERS.errorClass]: 'SyntaxError',
      [DLQ_HEADERS.errorMessage]: 'Unexpected token n',
      [DLQ_HEADERS.topic]: 'transactions',
      [DLQ_HEADERS.partition]: '3',
      [DLQ_HEADERS.offset]: '42',
      [DLQ_HEADERS.timestamp]: '1700000000000',
      [DLQ_HEADERS.taskId]: '0_3',
      [DLQ_HEADERS.appVersion]: '1.2.3',
    });
  });

  it('never carry a card number in clear in the error message', () => {
    const dl = deadLetterFor(
      'balances',
      '1',
      '0_3',
      record,
      'processing',
      new Error('bad card 4152313412345678 for acct'),
    );
    expect(dl.headers?.[DLQ_HEADERS.errorMessage]?.toString()).toBe('bad card 415231******5678 for acct');
  });

  it('name the rule a refused record breaks: reason invalid and its code', () => {
    const refused = new RejectedRecordError('non-positive-amount', 'amountMinor must be > 0, got -5');
    expect(processingFailureReason(refused)).toBe('invalid');
    expect(processingFailureReason(new TypeError('bug'))).toBe('processing');
    const dl = deadLetterFor('saldo', '1', '0_3', record, processingFailureReason(refused), refused);
    expect(dl.headers?.[DLQ_HEADERS.reason]?.toString()).toBe('invalid');
    expect(dl.headers?.[DLQ_HEADERS.errorCode]?.toString()).toBe('non-positive-amount');
    expect(dl.headers?.[DLQ_HEADERS.errorClass]?.toString()).toBe('RejectedRecordError');
    const failed = deadLetterFor('saldo', '1', '0_3', record, 'processing', new TypeError('bug'));
    expect(failed.headers?.[DLQ_HEADERS.errorCode]).toBeUndefined();
  });
});
