import { describe, expect, it } from 'vitest';
import type { IHeaders } from 'kafkajs';
import { toHeaders } from '../../../processor/kafka/kafkajs/group-consumer.ts';

describe('toHeaders (kafkajs headers as the engine sees them)', () => {
  it('gives Buffers, the first of repeated headers, and skips missing values', () => {
    const headers = toHeaders({
      text: 'abc',
      bytes: Buffer.from([1, 2]),
      repeated: [Buffer.from('first'), Buffer.from('second')],
      missing: undefined,
      empty: [],
    } as IHeaders);
    expect(Object.keys(headers).sort()).toEqual(['bytes', 'repeated', 'text']);
    expect(headers['text']?.toString()).toBe('abc');
    expect(headers['repeated']?.toString()).toBe('first');
  });

  it('returns a fresh object per record, also without headers', () => {
    const a = toHeaders(undefined);
    const b = toHeaders({});
    expect(a).toEqual({});
    expect(a).not.toBe(b);
  });

  it('keeps a header named __proto__ as a header, never as the prototype', () => {
    const incoming = JSON.parse('{"__proto__": "x", "plain": "y"}') as IHeaders;
    const headers = toHeaders(incoming);
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers).sort()).toEqual(['__proto__', 'plain']);
    expect(String(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value)).toBe('x');
  });
});
