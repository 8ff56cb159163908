import { afterEach, describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from '../../../state/index.ts';
import {
  DLQ_HEADERS,
  TopologyBuilder,
  TopologyTestDriver,
  keyValueStore,
  recordSerde,
  ttlKeyValueStore,
  windowedStore,
  type ProcessorContext,
} from '../../../processor/index.ts';
import { countingTopology, type AccountTotals } from '../../../topologies/counting.ts';

const topics = { input: 'transactions', output: 'account-totals' };
let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

function header(record: { headers: Record<string, Buffer> }, name: string): string | undefined {
  return record.headers[name]?.toString();
}

describe('the counting topology, driven without a broker', () => {
  it('counts and sums per account and currency in bigint minor units, emitting every update', async () => {
    driver = await TopologyTestDriver.create(countingTopology(topics));
    await driver.pipe('transactions', {
      key: 'acct-1',
      value: { txId: 't1', amountMinor: '9007199254740993', currency: 'MXN' },
    });
    await driver.pipe('transactions', {
      key: 'acct-1',
      value: { txId: 't2', amountMinor: '7', currency: 'MXN' },
    });
    await driver.pipe('transactions', {
      key: 'acct-1',
      value: { txId: 't3', amountMinor: '100', currency: 'USD' },
    });

    const outputs = driver.outputs<string, AccountTotals>('account-totals');
    expect(outputs.map((o) => o.value)).toEqual([
      { count: 1, sumMinor: 9007199254740993n, currency: 'MXN' },
      { count: 2, sumMinor: 9007199254741000n, currency: 'MXN' },
      { count: 1, sumMinor: 100n, currency: 'USD' },
    ]);
    expect(driver.keyValueStore<string, AccountTotals>('totals').get('acct-1|MXN')).toEqual({
      count: 2,
      sumMinor: 9007199254741000n,
      currency: 'MXN',
    });
    // One changelog record per key per commit; each pipe commits.
    expect(driver.changelog('totals').map((r) => r.key?.toString())).toEqual([
      'acct-1|MXN',
      'acct-1|MXN',
      'acct-1|USD',
    ]);
  });

  it('sends an undecodable record to the dead-letter topic and goes on', async () => {
    driver = await TopologyTestDriver.create(countingTopology(topics));
    await driver.pipeRaw('transactions', { key: Buffer.from('acct-1'), value: Buffer.from('{"txId": oops') });
    await driver.pipe('transactions', {
      key: 'acct-1',
      value: { txId: 't1', amountMinor: '5', currency: 'MXN' },
    });

    const dead = driver.deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.value?.toString()).toBe('{"txId": oops');
    expect(header(dead[0]!, DLQ_HEADERS.reason)).toBe('deserialization');
    expect(header(dead[0]!, DLQ_HEADERS.offset)).toBe('0');
    expect(header(dead[0]!, DLQ_HEADERS.topic)).toBe('transactions');
    expect(driver.outputs('account-totals')).toHaveLength(1);
  });

  it('rolls back the store writes of a record whose processing throws, and dead-letters it', async () => {
    const seen = keyValueStore('seen', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
    const topology = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(jsonSerde<{ n: number }>(), 'json'),
      })
      .addStore(seen)
      .addProcessor('write-then-maybe-throw', {
        parents: ['in'],
        stores: [seen],
        create: () => ({
          process(record: { key: string | null; value: { n: number } | null }, ctx: ProcessorContext) {
            const store = ctx.store(seen);
            store.put(record.key as string, record.value?.n as number);
            ctx.forward({ key: record.key, value: record.value });
            if ((record.value?.n ?? 0) < 0) throw new RangeError('negative');
          },
        }),
      })
      .addSink('out', {
        parents: ['write-then-maybe-throw'],
        topic: 'out',
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(jsonSerde<unknown>(), 'json'),
      })
      .build();
    driver = await TopologyTestDriver.create(topology);
    await driver.pipe('in', { key: 'a', value: { n: 1 } });
    await driver.pipe('in', { key: 'a', value: { n: -1 } });

    expect(driver.keyValueStore<string, number>('seen').get('a')).toBe(1);
    expect(driver.outputs('out')).toHaveLength(1);
    const dead = driver.deadLetters();
    expect(dead).toHaveLength(1);
    expect(header(dead[0]!, DLQ_HEADERS.reason)).toBe('processing');
    expect(header(dead[0]!, DLQ_HEADERS.errorClass)).toBe('RangeError');
    expect(header(dead[0]!, DLQ_HEADERS.offset)).toBe('1');
  });

  it('fires stream-time punctuations as event time advances and wall-clock ones as the clock moves', async () => {
    const fired: string[] = [];
    const topology = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(stringSerde, 'string'),
      })
      .addProcessor('timers', {
        parents: ['in'],
        create: () => ({
          init(ctx: ProcessorContext) {
            ctx.schedule(1_000, 'stream-time', (t) => void fired.push(`stream@${t}`));
            ctx.schedule(5_000, 'wall-clock', (t) => void fired.push(`wall@${t}`));
          },
          process() {},
        }),
      })
      .build();
    driver = await TopologyTestDriver.create(topology, { wallClockStart: 0 });
    await driver.pipe('in', { key: 'k', value: 'v', timestamp: 10_000 });
    await driver.pipe('in', { key: 'k', value: 'v', timestamp: 10_500 });
    await driver.pipe('in', { key: 'k', value: 'v', timestamp: 11_000 });
    await driver.pipe('in', { key: 'k', value: 'v', timestamp: 10_200 }); // late: stream time does not go back
    await driver.advanceWallClock(4_999);
    await driver.advanceWallClock(1);
    expect(fired).toEqual(['stream@11000', 'wall@5000']);
  });
});

describe('a windowed store in a topology (velocity per account)', () => {
  it("counts an account's transactions in a sliding one-minute window and forgets expired windows", async () => {
    const MINUTE = 60_000;
    const perSecond = windowedStore('per-second', {
      keySerde: stringSerde,
      valueSerde: jsonSerde<number>(),
      retentionMs: 2 * MINUTE,
    });
    const topology = new TopologyBuilder()
      .addSource('tx', {
        topics: ['tx'],
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(stringSerde, 'string'),
      })
      .addStore(perSecond)
      .addProcessor('velocity', {
        parents: ['tx'],
        stores: [perSecond],
        create: () => ({
          async process(
            record: { key: string | null; timestamp: number },
            ctx: ProcessorContext<string, number>,
          ) {
            const store = ctx.store(perSecond);
            const bucket = record.timestamp - (record.timestamp % 1_000);
            store.put(record.key as string, bucket, (store.get(record.key as string, bucket) ?? 0) + 1);
            let inLastMinute = 0;
            for await (const [, n] of store.fetch(
              record.key as string,
              record.timestamp - MINUTE + 1,
              record.timestamp,
            ))
              inLastMinute += n;
            ctx.forward({ key: record.key, value: inLastMinute });
          },
        }),
      })
      .addSink('out', {
        parents: ['velocity'],
        topic: 'velocity',
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(jsonSerde<number>(), 'json'),
      })
      .build();
    driver = await TopologyTestDriver.create(topology);
    const t0 = 1_700_000_000_000;
    for (const offset of [0, 500, 1_000, 30_000, 59_000, 61_000, 200_000]) {
      await driver.pipe('tx', { key: 'acct-1', value: 'x', timestamp: t0 + offset });
    }
    await driver.pipe('tx', { key: 'acct-2', value: 'x', timestamp: t0 + 200_500 });
    expect(driver.outputs<string, number>('velocity').map((o) => `${o.key}:${o.value}`)).toEqual([
      'acct-1:1',
      'acct-1:2',
      'acct-1:3',
      'acct-1:4',
      'acct-1:5',
      'acct-1:3', // t0+61s: the buckets of t0 and t0+0.5s (and t0+1s, at the window's edge) left the minute
      'acct-1:1',
      'acct-2:1',
    ]);
    // Retention is two minutes: the first second's bucket is gone from the store itself.
    expect(driver.windowedStore<string, number>('per-second').get('acct-1', t0)).toBeUndefined();
  });
});

describe('event time from the value, and TTL stores, as a topology author uses them', () => {
  interface Reading {
    id: string;
    at: number;
  }
  const strings = recordSerde(stringSerde, 'string');
  const seenIds = ttlKeyValueStore('seen', { keySerde: stringSerde, valueSerde: stringSerde, ttlMs: 1_000 });
  /** Remembers each id for 1,000 ms of stream time; forwards `id@streamTime` when it is new. */
  const rememberingTopology = (maxTimestampAheadMs?: number) =>
    new TopologyBuilder()
      .addSource('in', {
        topics: ['readings'],
        keySerde: strings,
        valueSerde: recordSerde(jsonSerde<Reading>(), 'json'),
        timestampOf: (reading) => reading.at,
        ...(maxTimestampAheadMs === undefined ? {} : { maxTimestampAheadMs }),
      })
      .addStore(seenIds)
      .addProcessor('remember', {
        parents: ['in'],
        stores: [seenIds],
        create: () => ({
          process(record, ctx: ProcessorContext<string, string>) {
            const reading = record.value as Reading;
            const seen = ctx.store(seenIds);
            if (seen.get(reading.id) !== undefined) return;
            seen.put(reading.id, 'x');
            ctx.forward({ key: reading.id, value: `${reading.id}@${ctx.streamTime}` });
          },
        }),
      })
      .addSink('out', { parents: ['remember'], topic: 'firsts', keySerde: strings, valueSerde: strings })
      .build();

  it('drives stream time, the records’ timestamps and TTL expiry from the value, not the Kafka timestamp', async () => {
    driver = await TopologyTestDriver.create(rememberingTopology());
    const send = (id: string, at: number) =>
      (driver as TopologyTestDriver).pipe('readings', { key: id, value: { id, at }, timestamp: 5 });
    await send('a', 10_000);
    await send('a', 10_500);
    await send('b', 11_000);
    await send('a', 11_000);
    expect(driver.outputs<string, string>('firsts').map((o) => [o.value, o.timestamp])).toEqual([
      ['a@10000', 10_000],
      ['b@11000', 11_000],
      ['a@11000', 11_000],
    ]);
  });

  it('refuses, as a dead letter, a record stamped too far ahead of the wall clock, before it moves stream time', async () => {
    driver = await TopologyTestDriver.create(rememberingTopology(60_000), { wallClockStart: 10_000 });
    await driver.pipe('readings', { key: 'a', value: { id: 'a', at: 10_000 } });
    await driver.pipe('readings', { key: 'z', value: { id: 'z', at: 10_000 + 3_600_000 } });
    await driver.pipe('readings', { key: 'a', value: { id: 'a', at: 10_500 } });
    const letters = driver.deadLetters();
    expect(letters.map((letter) => header(letter, DLQ_HEADERS.reason))).toEqual(['invalid']);
    expect(letters.map((letter) => header(letter, DLQ_HEADERS.errorCode))).toEqual(['timestamp-in-future']);
    // Stream time stayed at 10,000: 'a' was still remembered at 10,500.
    expect(driver.outputs<string, string>('firsts').map((o) => o.value)).toEqual(['a@10000']);
  });
});
