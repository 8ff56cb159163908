import { describe, expect, it } from 'vitest';
import { RestoreError, SaldoError, TaskCommitError, TaskFencedError } from '../../../processor/errors.ts';
import type { ConsumedRecord, OutgoingRecord } from '../../../processor/records.ts';
import { fromWire, toWire } from '../../../processor/kafka/worker/protocol.ts';
import {
  packConsumed,
  packOutgoing,
  unpackConsumed,
  unpackOutgoing,
} from '../../../processor/kafka/worker/record-codec.ts';

describe('record codec between the engine and the Kafka client thread', () => {
  it('round-trips consumed records: null keys and values, empty ones, headers, several topics', () => {
    const records: ConsumedRecord[] = [
      {
        topic: 'transactions',
        partition: 3,
        offset: 2 ** 40 + 7,
        timestamp: 1_795_000_000_123,
        key: Buffer.from('account-1'),
        value: Buffer.from('{"amountMinor":"12345"}'),
        headers: { 'saldo.origin': Buffer.from('app'), 'clé-ñ': Buffer.from([0, 255]) },
      },
      { topic: 'transactions', partition: 0, offset: 0, timestamp: 0, key: null, value: null, headers: {} },
      {
        topic: 'limits',
        partition: 3,
        offset: 9,
        timestamp: 5,
        key: Buffer.alloc(0),
        value: Buffer.alloc(70_000, 7),
        headers: { empty: Buffer.alloc(0) },
      },
    ];
    const packed = packConsumed(records);
    expect(packed.topics).toEqual(['transactions', 'limits']);
    const back = unpackConsumed(structuredClone(packed));
    expect(back).toHaveLength(3);
    back.forEach((record, i) => {
      const original = records[i] as ConsumedRecord;
      expect(record.topic).toBe(original.topic);
      expect(record.partition).toBe(original.partition);
      expect(record.offset).toBe(original.offset);
      expect(record.timestamp).toBe(original.timestamp);
      expect(
        record.key === null ? null : Buffer.compare(record.key, original.key ?? Buffer.alloc(1)),
      ).toEqual(original.key === null ? null : 0);
      expect(record.value?.equals(original.value ?? Buffer.alloc(0)) ?? original.value === null).toBe(true);
      expect(Object.keys(record.headers)).toEqual(Object.keys(original.headers));
      for (const [name, value] of Object.entries(original.headers))
        expect(record.headers[name]?.equals(value)).toBe(true);
    });
    expect(Buffer.isBuffer(back[0]?.key)).toBe(true);
  });

  it('round-trips outgoing records, keeping absent partitions and timestamps absent', () => {
    const records: OutgoingRecord[] = [
      { topic: 'totals', key: Buffer.from('a'), value: Buffer.from('1') },
      { topic: 'app-totals-changelog', partition: 5, key: Buffer.from('a|MXN'), value: null, timestamp: 42 },
      {
        topic: 'app-dlq',
        partition: 0,
        key: null,
        value: Buffer.from('x'),
        headers: { reason: Buffer.from('bad') },
      },
    ];
    const back = unpackOutgoing(structuredClone(packOutgoing(records)));
    expect(back[0]).toEqual({ topic: 'totals', key: Buffer.from('a'), value: Buffer.from('1') });
    expect(back[0]).not.toHaveProperty('partition');
    expect(back[0]).not.toHaveProperty('timestamp');
    expect(back[1]).toEqual(records[1]);
    expect(back[2]?.headers?.reason?.toString()).toBe('bad');
  });

  it('packs an empty batch', () => {
    expect(unpackOutgoing(packOutgoing([]))).toEqual([]);
  });

  it('keeps a header named __proto__ a header on the other side, never the prototype', () => {
    const headers = JSON.parse('{"__proto__": "x"}', (_k, v: unknown) =>
      typeof v === 'string' ? Buffer.from(v) : v,
    ) as Record<string, Buffer>;
    const record: ConsumedRecord = {
      topic: 't',
      partition: 0,
      offset: 1,
      timestamp: 2,
      key: null,
      value: null,
      headers,
    };
    const [back] = unpackConsumed(packConsumed([record]));
    expect(Object.getPrototypeOf(back?.headers)).toBe(Object.prototype);
    expect(String(Object.getOwnPropertyDescriptor(back?.headers, '__proto__')?.value)).toBe('x');
  });
});

describe('errors crossing threads', () => {
  it('rebuilds the typed errors the task manager decides on', () => {
    const fenced = fromWire(
      structuredClone(toWire(new TaskFencedError('app-0_3', new Error('PRODUCER_FENCED')))),
    );
    expect(fenced).toBeInstanceOf(TaskFencedError);
    expect((fenced as TaskFencedError).context.taskId).toBe('app-0_3');
    expect(fenced.cause).toBeInstanceOf(Error);
    expect((fenced.cause as Error).message).toBe('PRODUCER_FENCED');

    const commit = fromWire(toWire(new TaskCommitError('commit of app-0_1 failed', { retriable: true })));
    expect(commit).toBeInstanceOf(TaskCommitError);
    expect((commit as TaskCommitError).retriable).toBe(true);
    expect(commit.message).toBe('commit of app-0_1 failed');

    expect(fromWire(toWire(new RestoreError('reader crashed')))).toBeInstanceOf(RestoreError);
  });

  it('keeps the name, message and retriable flag of other errors', () => {
    const kafkaLike = Object.assign(new Error('The coordinator is loading'), { retriable: true });
    kafkaLike.name = 'KafkaJSProtocolError';
    const back = fromWire(toWire(kafkaLike));
    expect(back).toBeInstanceOf(SaldoError);
    expect(back.name).toBe('KafkaJSProtocolError');
    expect((back as SaldoError).retriable).toBe(true);
    expect(fromWire(toWire('a string')).message).toBe('a string');
  });
});
