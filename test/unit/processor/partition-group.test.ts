import { describe, expect, it } from 'vitest';
import { recordSerde } from '../../../processor/index.ts';
import type { ConsumedBatch } from '../../../processor/kafka/client.ts';
import type { ConsumedRecord } from '../../../processor/records.ts';
import {
  LAGGING_WAIT_MS,
  PartitionGroup,
  orderingTimeOf,
  type NextRecord,
  type PartitionGroupInput,
} from '../../../processor/partition-group.ts';
import type { SourceNode } from '../../../processor/topology.ts';
import { jsonSerde } from '../../../state/index.ts';

function rec(topic: string, offset: number, timestamp: number, value: unknown = null): ConsumedRecord {
  return {
    topic,
    partition: 3,
    offset,
    timestamp,
    key: Buffer.from('k'),
    value: value === null ? null : Buffer.from(JSON.stringify(value)),
    headers: {},
  };
}

function batch(topic: string, records: ConsumedRecord[], extra: Partial<ConsumedBatch> = {}): ConsumedBatch {
  return { topic, partition: 3, fetchedOffset: records[0]?.offset ?? 0, records, ...extra };
}

function group(
  inputs: PartitionGroupInput[],
  opts: { maxTaskIdleMs?: number; maxBuffered?: number } = {},
): PartitionGroup {
  return new PartitionGroup(inputs, {
    maxTaskIdleMs: opts.maxTaskIdleMs ?? 0,
    maxBufferedRecordsPerPartition: opts.maxBuffered ?? 1_000,
    orderingTime: (record) => ({ time: record.timestamp }),
  });
}

/** Takes records until the group hands out none at `now`. */
function drain(g: PartitionGroup, now = 0): string[] {
  const taken: string[] = [];
  for (;;) {
    const next = g.next(now) as NextRecord | undefined;
    if (next === undefined) return taken;
    taken.push(`${next.record.topic}@${next.record.offset}`);
  }
}

const caughtUp = (topic: string, at = 0): PartitionGroupInput => ({ topic, position: at, end: at });

describe('a partition group', () => {
  it('hands out the buffered record with the smallest timestamp, not in arrival order', () => {
    const g = group([caughtUp('limits'), caughtUp('tx')]);
    g.add(batch('tx', [rec('tx', 0, 100), rec('tx', 1, 300), rec('tx', 2, 500)]));
    g.add(batch('limits', [rec('limits', 0, 200), rec('limits', 1, 500)]));
    // On equal timestamps the input listed first (the table) goes first.
    expect(drain(g)).toEqual(['tx@0', 'limits@0', 'tx@1', 'limits@1', 'tx@2']);
  });

  it('orders by the event time the source reads from the value, and hands the decoded value on', async () => {
    const source = {
      kind: 'source',
      name: 'tx',
      topics: ['tx'],
      keySerde: recordSerde(jsonSerde<unknown>(), 'json'),
      valueSerde: recordSerde(jsonSerde<{ at: number }>(), 'json'),
      timestampOf: (value: unknown) => (value as { at: number }).at,
      children: [],
    } satisfies SourceNode;
    const input = { source, valueContext: { topic: 'tx', part: 'value' as const } };
    expect(orderingTimeOf(input, rec('tx', 0, 999, { at: 42 }))).toEqual({
      time: 42,
      decoded: { value: { at: 42 } },
    });
    // Undecodable, or no valid time: the Kafka timestamp (processing refuses the record later).
    expect(orderingTimeOf(input, { ...rec('tx', 0, 999), value: Buffer.from('{bad') })).toEqual({
      time: 999,
    });
    expect(orderingTimeOf(input, rec('tx', 0, 999, { at: -5 }))).toMatchObject({ time: 999 });
    // A source without timestampOf is not decoded at all.
    expect(
      orderingTimeOf({ ...input, source: { ...source, timestampOf: undefined } }, rec('tx', 0, 7, { at: 1 })),
    ).toEqual({
      time: 7,
    });

    const g = new PartitionGroup([caughtUp('limits'), caughtUp('tx')], {
      maxTaskIdleMs: 0,
      maxBufferedRecordsPerPartition: 100,
      orderingTime: (record) =>
        record.topic === 'tx' ? Promise.resolve(orderingTimeOf(input, record)) : { time: record.timestamp },
    });
    g.add(batch('tx', [rec('tx', 0, 1, { at: 300 })]));
    g.add(batch('limits', [rec('limits', 0, 200)]));
    const first = await g.next(0);
    expect(first?.record.topic).toBe('limits');
    const second = await g.next(0);
    expect(second?.decoded).toEqual({ value: { at: 300 } });
  });

  it('does not wait for an empty partition known to be caught up (maxTaskIdleMs 0)', () => {
    const g = group([caughtUp('limits', 5), caughtUp('tx')]);
    g.add(batch('tx', [rec('tx', 0, 100), rec('tx', 1, 200)]));
    expect(drain(g)).toEqual(['tx@0', 'tx@1']);
  });

  it('waits for an empty partition known to lag, until its records come or the wait is over', () => {
    const g = group([{ topic: 'limits', position: 0, end: 2 }, caughtUp('tx')]);
    g.add(batch('tx', [rec('tx', 0, 100), rec('tx', 1, 300)]));
    expect(drain(g, 0)).toEqual([]);
    expect(drain(g, LAGGING_WAIT_MS - 1)).toEqual([]);
    g.add(batch('limits', [rec('limits', 0, 50), rec('limits', 1, 200)]));
    expect(drain(g, LAGGING_WAIT_MS - 1)).toEqual(['limits@0', 'tx@0', 'limits@1', 'tx@1']);

    const late = group([{ topic: 'limits', position: 0, end: 2 }, caughtUp('tx')]);
    late.add(batch('tx', [rec('tx', 0, 100)]));
    expect(drain(late, 10)).toEqual([]);
    const enforced = late.next(10 + LAGGING_WAIT_MS) as NextRecord;
    expect(enforced).toMatchObject({ record: { topic: 'tx', offset: 0 }, enforced: true });
  });

  it('learns of a lag from a batch whose high watermark is beyond its last entry', () => {
    const g = group([caughtUp('limits'), caughtUp('tx')]);
    g.add(batch('limits', [rec('limits', 0, 10)], { lastOffset: 0, highWatermark: 5 }));
    g.add(batch('tx', [rec('tx', 0, 100)]));
    expect(drain(g)).toEqual(['limits@0']);
    // Transaction markers after the last record count as fetched: no lag.
    const marked = group([caughtUp('limits'), caughtUp('tx')]);
    marked.add(batch('limits', [rec('limits', 0, 10)], { lastOffset: 1, highWatermark: 2 }));
    marked.add(batch('tx', [rec('tx', 0, 100)]));
    expect(drain(marked)).toEqual(['limits@0', 'tx@0']);
  });

  it('waits maxTaskIdleMs for a caught-up empty partition when told to, and never with -1', () => {
    const g = group([caughtUp('limits'), caughtUp('tx')], { maxTaskIdleMs: 500 });
    g.add(batch('tx', [rec('tx', 0, 100), rec('tx', 1, 200)]));
    expect(drain(g, 1_000)).toEqual([]);
    expect(drain(g, 1_499)).toEqual([]);
    expect(drain(g, 1_500)).toEqual(['tx@0', 'tx@1']);

    const never = group([{ topic: 'limits', position: 0, end: 9 }, caughtUp('tx')], { maxTaskIdleMs: -1 });
    never.add(batch('tx', [rec('tx', 0, 100)]));
    expect(drain(never)).toEqual(['tx@0']);
  });

  it('drops records fetched again, and takes no batch into a full queue', () => {
    const g = group([caughtUp('limits'), caughtUp('tx', 1)], { maxBuffered: 2 });
    expect(g.add(batch('tx', [rec('tx', 0, 1), rec('tx', 1, 2), rec('tx', 2, 3)]))).toBe(2);
    expect(g.buffered).toBe(2);
    expect(g.add(batch('tx', [rec('tx', 3, 4)]))).toBeUndefined();
    expect(g.add(batch('tx', [rec('tx', 1, 2), rec('tx', 2, 3)]))).toBeUndefined();
    expect(drain(g)).toEqual(['tx@1', 'tx@2']);
    expect(g.add(batch('tx', [rec('tx', 2, 3), rec('tx', 3, 4)]))).toBe(3);
    expect(drain(g)).toEqual(['tx@3']);
  });

  it('hands out the records of the only queue with records without reading their time (a quiet table)', () => {
    let timesRead = 0;
    const g = new PartitionGroup([caughtUp('limits'), caughtUp('tx')], {
      maxTaskIdleMs: 0,
      maxBufferedRecordsPerPartition: 100,
      orderingTime: (record) => {
        timesRead += 1;
        return { time: record.timestamp };
      },
    });
    g.add(batch('tx', [rec('tx', 0, 100), rec('tx', 1, 200)]));
    expect(drain(g)).toEqual(['tx@0', 'tx@1']);
    expect(timesRead).toBe(0);
    g.add(batch('tx', [rec('tx', 2, 300)]));
    g.add(batch('limits', [rec('limits', 0, 250)]));
    expect(drain(g)).toEqual(['limits@0', 'tx@2']);
    expect(timesRead).toBe(2);
  });
});
