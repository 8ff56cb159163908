import { describe, expect, it } from 'vitest';
import type { OutgoingRecord } from '../../../processor/kafka/client.ts';
import { chunksOf } from '../../../processor/kafka/kafkajs/commit-units.ts';

const record = (topic: string, i: number, partition?: number, valueBytes = 10): OutgoingRecord => ({
  topic,
  key: Buffer.from(`k${i}`),
  value: Buffer.alloc(valueBytes, i % 256),
  ...(partition === undefined ? {} : { partition }),
  timestamp: 1_000 + i,
});

describe('chunksOf (the at-least-once and transactional sends)', () => {
  it('splits at 1,000 messages, keeps every record once and in order per topic', () => {
    const records = Array.from({ length: 2_500 }, (_, i) =>
      i % 2 === 0 ? record('out', i) : record('app-totals-changelog', i, i % 3),
    );
    const chunks = [...chunksOf(records)];
    expect(chunks.map((c) => c.topicMessages.reduce((n, t) => n + t.messages.length, 0))).toEqual([
      1_000, 1_000, 500,
    ]);
    const sent = chunks.flatMap((c) => c.topicMessages.flatMap((t) => t.messages.map((m) => [t.topic, m])));
    expect(sent).toHaveLength(records.length);
    const outKeys = sent
      .filter(([topic]) => topic === 'out')
      .map(([, m]) => String((m as { key: Buffer }).key));
    expect(outKeys).toEqual(records.filter((r) => r.topic === 'out').map((r) => String(r.key)));
    const first = chunks[0]?.topicMessages.find((t) => t.topic === 'out')?.messages[0];
    // The records themselves go to kafkajs as its messages: no copy per record.
    expect(first).toBe(records[0]);
  });

  it('counts records per explicit partition in each send, and only those', () => {
    const records = [
      record('out', 0),
      record('cl', 1, 0),
      record('cl', 2, 1),
      record('cl', 3, 0),
      record('dlq', 4, 0),
    ];
    const [chunk, ...rest] = [...chunksOf(records)];
    expect(rest).toEqual([]);
    expect(chunk?.explicitCounts).toEqual(
      new Map([
        [
          'cl',
          new Map([
            [0, 2],
            [1, 1],
          ]),
        ],
        ['dlq', new Map([[0, 1]])],
      ]),
    );
    expect(chunk?.topicMessages.find((t) => t.topic === 'cl')?.messages.map((m) => m.partition)).toEqual([
      0, 1, 0,
    ]);
  });

  it('starts a new send before a request would pass 512 KiB', () => {
    const records = Array.from({ length: 5 }, (_, i) => record('out', i, undefined, 200 * 1024));
    expect([...chunksOf(records)].map((c) => c.topicMessages[0]?.messages.length)).toEqual([2, 2, 1]);
  });

  it('sends nothing for no records', () => {
    expect([...chunksOf([])]).toEqual([]);
  });
});
