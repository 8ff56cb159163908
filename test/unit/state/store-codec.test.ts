import { describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from '../../../state/index.ts';
import { StoreCodec } from '../../../state/store-codec.ts';

describe('StoreCodec', () => {
  it('encodes a primitive key once when it is used twice in a row (a get, then a put)', () => {
    let calls = 0;
    const counting = {
      serialize: (key: string) => {
        calls += 1;
        return stringSerde.serialize(key);
      },
      deserialize: stringSerde.deserialize,
    };
    const codec = new StoreCodec('totals', '0_0', counting, jsonSerde<number>());
    const first = codec.encodeKey('acct-1');
    expect(codec.encodeKey('acct-1')).toBe(first);
    expect(codec.keyText(first)).toBe('acct-1');
    expect(codec.encodeKey('acct-2').toString()).toBe('acct-2');
    expect(calls).toBe(2);
  });

  it('encodes object keys every time, since they can change between calls', () => {
    const codec = new StoreCodec('totals', '0_0', jsonSerde<{ id: string }>(), jsonSerde<number>());
    const key = { id: 'a' };
    expect(codec.encodeKey(key).toString()).toBe('{"id":"a"}');
    key.id = 'b';
    expect(codec.encodeKey(key).toString()).toBe('{"id":"b"}');
    expect(codec.keyText(codec.encodeKey(key))).toBe('{"id":"b"}');
  });

  it('tells 0 from -0', () => {
    const signed = {
      serialize: (n: number) => Buffer.from(Object.is(n, -0) ? 'minus-zero' : String(n)),
      deserialize: (bytes: Buffer) => Number(bytes.toString()),
    };
    const codec = new StoreCodec('s', '0_0', signed, jsonSerde<number>());
    expect(codec.encodeKey(0).toString()).toBe('0');
    expect(codec.encodeKey(-0).toString()).toBe('minus-zero');
  });
});
