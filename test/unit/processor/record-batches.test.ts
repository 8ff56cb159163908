import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { OutgoingRecord } from '../../../processor/records.ts';
import { encodedBatchMessage, sendRecordBatches } from '../../../processor/kafka/kafkajs/commit-units.ts';
import { PartitionCounts, UnknownTopicError } from '../../../processor/kafka/kafkajs/partition-counts.ts';
import { partitionForKey } from '../../../processor/kafka/wire/key-partitioning.ts';
import {
  BATCH_HEADER_BYTES,
  MAX_BATCH_BYTES,
  type PartitionBatch,
} from '../../../processor/kafka/wire/partition-batch.ts';
import { RecordBatches } from '../../../processor/kafka/wire/record-batches.ts';
import { packOutgoing, unpackOutgoing } from '../../../processor/kafka/worker/record-codec.ts';

const require = createRequire(import.meta.url);

interface KafkaJsEncoder {
  buffer: Buffer;
}
interface KafkaJsRequest {
  encode(): Promise<KafkaJsEncoder>;
}
// kafkajs' produce request (with our patch, scripts/patches), its Long and its batch decoder:
// the references that our encoding must agree with byte for byte.
const produceRequest = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId: unknown;
  producerEpoch: number;
  topicData: Array<{
    topic: string;
    partitions: Array<{ partition: number; firstSequence: number; messages: unknown[] }>;
  }>;
}) => KafkaJsRequest;
const Long = require('kafkajs/src/utils/long.js') as { fromNumber(n: number): unknown };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{
  firstTimestamp: string;
  maxTimestamp: string;
  records: Array<{
    key: Buffer | null;
    value: Buffer | null;
    timestamp: string;
    offset: string;
    headers: Record<string, Buffer>;
  }>;
}>;

const record = (
  topic: string,
  i: number,
  opts: {
    partition?: number;
    timestamp?: number;
    headers?: Record<string, Buffer>;
    valueBytes?: number;
  } = {},
): OutgoingRecord => ({
  topic,
  key: Buffer.from(`acct-${i}`),
  value: opts.valueBytes === undefined ? Buffer.from(`{"n":${i}}`) : Buffer.alloc(opts.valueBytes, i % 256),
  ...(opts.partition === undefined ? {} : { partition: opts.partition }),
  ...(opts.headers === undefined ? {} : { headers: opts.headers }),
  timestamp: opts.timestamp ?? 1_700_000_000_000 + i,
});

async function produceBytes(
  messages: unknown[],
  opts: { transactionalId?: string; partition?: number } = {},
): Promise<Buffer> {
  const request = produceRequest({
    acks: -1,
    timeout: 30_000,
    transactionalId: opts.transactionalId ?? null,
    producerId: Long.fromNumber(4_242),
    producerEpoch: 3,
    topicData: [
      { topic: 'out', partitions: [{ partition: opts.partition ?? 0, firstSequence: 77, messages }] },
    ],
  });
  return (await request.encode()).buffer;
}

/** The only batch of `batches` (a test adds records of one partition). */
function onlyBatch(batches: RecordBatches): PartitionBatch {
  const rounds = batches.rounds();
  expect(rounds).toHaveLength(1);
  expect(rounds[0]).toHaveLength(1);
  return rounds[0]?.[0] as PartitionBatch;
}

async function decoded(batch: PartitionBatch) {
  // The header as kafkajs would send it, through its produce request, then decoded as a fetch would.
  const request = await produceBytes([encodedBatchMessage(batch)], { partition: batch.partition });
  return decodeRecordBatch(new Decoder(request.subarray(request.length - batch.length)));
}

describe('RecordBatches (records encoded as they are forwarded)', () => {
  it("sends the bytes kafkajs' own produce request sends for the same records", async () => {
    const records = [
      record('out', 1, { partition: 0 }),
      record('out', 2, {
        partition: 0,
        headers: { 'saldo.error': Buffer.from('boom'), ñ: Buffer.from([0, 1]) },
      }),
      { topic: 'out', partition: 0, key: null, value: Buffer.from('no key'), timestamp: 1_700_000_000_005 },
      {
        topic: 'out',
        partition: 0,
        key: Buffer.from('tombstone'),
        value: null,
        timestamp: 1_700_000_000_009,
      },
      record('out', 3, { partition: 0, valueBytes: 300 }),
    ];
    const batches = new RecordBatches(new Map([['out', 4]]));
    for (const r of records) batches.add(r);
    const ours = await produceBytes([encodedBatchMessage(onlyBatch(batches))], {
      transactionalId: 'app-0_0',
    });
    const theirs = await produceBytes(records, { transactionalId: 'app-0_0' });
    expect(ours.equals(theirs)).toBe(true);
  });

  it('keeps timestamps that go back in time, relative to the first record', async () => {
    const batches = new RecordBatches(new Map([['out', 1]]));
    const timestamps = [1_700_000_050_000, 1_700_000_000_000, 1_700_000_090_000, 1_700_000_040_000];
    timestamps.forEach((timestamp, i) => batches.add(record('out', i, { partition: 0, timestamp })));
    const batch = await decoded(onlyBatch(batches));
    expect(batch.records.map((r) => Number(r.timestamp))).toEqual(timestamps);
    expect(batch.records.map((r) => Number(r.offset))).toEqual([0, 1, 2, 3]);
    expect(Number(batch.maxTimestamp)).toBe(1_700_000_090_000);
  });

  it("places keyed records as Kafka's default partitioner does, explicit partitions as named", () => {
    const batches = new RecordBatches(new Map([['out', 8]]));
    for (let i = 0; i < 200; i++) batches.add(record('out', i));
    batches.add(record('out', 999, { partition: 5 }));
    const counts = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const p = partitionForKey(Buffer.from(`acct-${i}`), 8);
      counts.set(p, (counts.get(p) ?? 0) + 1);
    }
    counts.set(5, (counts.get(5) ?? 0) + 1);
    const [round, ...more] = batches.rounds();
    expect(more).toEqual([]);
    expect(new Map(round?.map((b) => [b.partition, b.count]))).toEqual(counts);
  });

  it('takes back the last records (a failed record), maximum timestamp included', async () => {
    const batches = new RecordBatches(new Map([['out', 2]]));
    batches.add(record('out', 1, { partition: 0, timestamp: 1_700_000_000_010 }));
    batches.add(record('out', 2, { partition: 1, timestamp: 1_700_000_000_020 }));
    const mark = batches.length;
    batches.add(record('out', 3, { partition: 0, timestamp: 1_700_000_000_099 }));
    batches.add(record('out', 4, { partition: 1, timestamp: 1_700_000_000_098 }));
    batches.truncate(mark);
    expect(batches.length).toBe(2);

    const expected = new RecordBatches(new Map([['out', 2]]));
    expected.add(record('out', 1, { partition: 0, timestamp: 1_700_000_000_010 }));
    expected.add(record('out', 2, { partition: 1, timestamp: 1_700_000_000_020 }));
    const bytesOf = (b: RecordBatches) =>
      b.rounds().flatMap((round) => round.map((batch) => batch.bytes.subarray(BATCH_HEADER_BYTES)));
    expect(bytesOf(batches)).toEqual(bytesOf(expected));
    expect(batches.rounds()[0]?.map((b) => b.maxTimestamp)).toEqual([1_700_000_000_010, 1_700_000_000_020]);
    expect(() => batches.truncate(3)).toThrow(RangeError);
  });

  it('starts a new batch past the size bound; each batch counts its offsets from 0', async () => {
    const batches = new RecordBatches(new Map([['out', 1]]));
    const valueBytes = 100 * 1024;
    for (let i = 0; i < 12; i++) batches.add(record('out', i, { partition: 0, valueBytes }));
    const rounds = batches.rounds();
    expect(rounds.length).toBe(3);
    expect(rounds.map((round) => round.length)).toEqual([1, 1, 1]);
    const counts = rounds.map((round) => (round[0] as PartitionBatch).count);
    expect(counts.reduce((a, b) => a + b)).toBe(12);
    for (const round of rounds) {
      const batch = round[0] as PartitionBatch;
      expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_BYTES);
      const back = await decoded(batch);
      expect(back.records.map((r) => Number(r.offset))).toEqual([...Array(batch.count).keys()]);
    }
    const values = [];
    for (const round of rounds)
      values.push(...(await decoded(round[0] as PartitionBatch)).records.map((r) => r.value?.[0]));
    expect(values).toEqual([...Array(12).keys()]);
  });

  it('defers the records of a topic with no known partition count, then encodes them in order', () => {
    const batches = new RecordBatches(new Map([['known', 1]]));
    batches.add(record('out', 1));
    batches.add(record('known', 2, { partition: 0 }));
    batches.add(record('out', 3, { partition: 1 }));
    batches.add(record('other', 4));
    batches.add(record('out', 5));
    expect(batches.deferred.map((r) => r.topic)).toEqual(['out', 'out', 'other', 'out']);
    expect(new Set(batches.topicsWithoutPartitionCount())).toEqual(new Set(['out', 'other']));

    batches.setPartitionCount('out', 4);
    expect(batches.deferred.map((r) => r.topic)).toEqual(['other']);
    const out = batches
      .rounds()
      .flat()
      .filter((b) => b.topic === 'out');
    const expected = new Map<number, number>();
    for (const i of [1, 5]) {
      const p = partitionForKey(Buffer.from(`acct-${i}`), 4);
      expected.set(p, (expected.get(p) ?? 0) + 1);
    }
    expected.set(1, (expected.get(1) ?? 0) + 1);
    expect(new Map(out.map((b) => [b.partition, b.count]))).toEqual(expected);

    // Taking back the last record, deferred or not, still works after the counts came.
    batches.truncate(3);
    expect(batches.deferred).toEqual([]);
    expect(batches.length).toBe(3);
    expect(() => batches.setPartitionCount('out', 0)).toThrow(RangeError);
  });

  it('crosses to another thread as one buffer and sends the same batches there', () => {
    const batches = new RecordBatches(new Map([['out', 3]]));
    for (let i = 0; i < 50; i++) batches.add(record('out', i));
    batches.add(record('new-topic', 7));
    // As the Kafka client thread's adapter sends them: batches cloned, deferred records packed.
    const { batches: list, buffer, deferred } = batches.toTransfer();
    const transferred = structuredClone({ batches: list, buffer });
    const packed = structuredClone(packOutgoing(deferred));
    const there = RecordBatches.fromTransfer(
      { ...transferred, deferred: unpackOutgoing(packed) },
      new Map([['new-topic', 2]]),
    );
    const describe = (b: RecordBatches) =>
      b
        .rounds()
        .map((round) =>
          round.map((batch) => [
            batch.topic,
            batch.partition,
            batch.count,
            batch.bytes.subarray(BATCH_HEADER_BYTES).toString('hex'),
          ]),
        );
    batches.setPartitionCount('new-topic', 2);
    expect(describe(there)).toEqual(describe(batches));
  });

  it('is reused after clear(): the same buffers, nothing left of the last commit', () => {
    const batches = new RecordBatches(new Map([['out', 1]]));
    batches.add(record('out', 1, { partition: 0 }));
    const buffer = onlyBatch(batches).buffer;
    batches.clear();
    expect(batches.length).toBe(0);
    expect(batches.rounds()).toEqual([]);
    batches.add(record('out', 2, { partition: 0 }));
    expect(onlyBatch(batches).buffer).toBe(buffer);
    expect(onlyBatch(batches).count).toBe(1);
  });
});

describe('sendRecordBatches', () => {
  it('learns missing partition counts, sends one request per round and returns the last offsets', async () => {
    const fetched: string[][] = [];
    const counts = new PartitionCounts(async (topics) => {
      fetched.push(topics);
      return new Map(topics.map((t) => [t, t === 'out' ? 2 : 1]));
    });
    const batches = new RecordBatches(counts.known);
    for (let i = 0; i < 6; i++) batches.add(record('out', i));
    batches.add(record('app-totals-changelog', 0, { partition: 0, valueBytes: MAX_BATCH_BYTES - 200 }));
    batches.add(record('app-totals-changelog', 1, { partition: 0, valueBytes: 1_000 }));
    const requests: Array<Array<[string, number[]]>> = [];
    let nextOffset = 100;
    const produced = await sendRecordBatches(
      async ({ topicMessages }) => {
        requests.push(topicMessages.map((t) => [t.topic, t.messages.map((m) => m.partition as number)]));
        return topicMessages.flatMap((t) =>
          t.messages.map((m) => ({
            topicName: t.topic,
            partition: m.partition as number,
            errorCode: 0,
            baseOffset: String((nextOffset += 10)),
          })),
        );
      },
      batches,
      counts,
    );
    expect(fetched).toEqual([['out', 'app-totals-changelog']]);
    // The changelog's second record did not fit its first batch: a second round.
    expect(requests).toHaveLength(2);
    expect(requests[1]).toEqual([['app-totals-changelog', [0]]]);
    const outCounts = new Map<number, number>();
    for (let i = 0; i < 6; i++) {
      const p = partitionForKey(Buffer.from(`acct-${i}`), 2);
      outCounts.set(p, (outCounts.get(p) ?? 0) + 1);
    }
    // Base offsets 110, 120, 130 in the first request, 140 in the second.
    const firstRequest = requests[0] ?? [];
    const expected = new Map<string, number>();
    let base = 100;
    for (const [topic, partitions] of firstRequest) {
      for (const p of partitions) {
        base += 10;
        expected.set(`${topic}:${p}`, base + (topic === 'out' ? (outCounts.get(p) ?? 0) : 1) - 1);
      }
    }
    expected.set('app-totals-changelog:0', 140);
    expect(produced).toEqual(expected);
  });

  it('fails with UnknownTopicError when a topic does not exist', async () => {
    const counts = new PartitionCounts(async (topics) => new Map(topics.map((t) => [t, undefined])));
    const batches = new RecordBatches(counts.known);
    batches.add(record('missing', 1));
    await expect(sendRecordBatches(async () => [], batches, counts)).rejects.toBeInstanceOf(
      UnknownTopicError,
    );
  });

  it('fetches counts again once they are older than the maximum age', async () => {
    let now = 0;
    let partitions = 1;
    const counts = new PartitionCounts(async (topics) => new Map(topics.map((t) => [t, partitions])), {
      maxAgeMs: 1_000,
      now: () => now,
    });
    const send = async () => [];
    const first = new RecordBatches(counts.known);
    first.add(record('out', 1));
    await sendRecordBatches(send, first, counts);
    expect(counts.known.get('out')).toBe(1);
    partitions = 3;
    now = 999;
    expect(counts.stale()).toEqual([]);
    now = 1_000;
    expect(counts.stale()).toEqual(['out']);
    first.clear();
    await sendRecordBatches(send, first, counts);
    expect(counts.known.get('out')).toBe(3);
    expect(first.partitionCount('out')).toBe(3);
  });
  it('shares one fetch between commits that need the same counts at once', async () => {
    const fetched: string[][] = [];
    let answer: () => void = () => undefined;
    const counts = new PartitionCounts(async (topics) => {
      fetched.push(topics);
      await new Promise<void>((resolve) => (answer = resolve));
      return new Map(topics.map((t) => [t, 2]));
    });
    const commits = [0, 1, 2].map((i) => {
      const batches = new RecordBatches(counts.known);
      batches.add(record('out', i));
      return sendRecordBatches(async () => [], batches, counts);
    });
    await Promise.resolve();
    answer();
    await Promise.all(commits);
    expect(fetched).toEqual([['out']]);
    expect(counts.known.get('out')).toBe(2);
  });

  it('goes on with the known count when checking a stale one fails, and asks again at the next commit', async () => {
    let now = 0;
    let failing = false;
    let fetches = 0;
    const counts = new PartitionCounts(
      async (topics) => {
        fetches++;
        if (failing) throw new Error('broker unreachable');
        return new Map(topics.map((t) => [t, 2]));
      },
      { maxAgeMs: 1_000, now: () => now },
    );
    const sent: number[] = [];
    const send = async ({ topicMessages }: { topicMessages: Array<{ messages: unknown[] }> }) => {
      sent.push(topicMessages.reduce((n, t) => n + t.messages.length, 0));
      return [];
    };
    const batches = new RecordBatches(counts.known);
    batches.add(record('out', 1));
    await sendRecordBatches(send, batches, counts);
    batches.clear();

    now = 5_000;
    failing = true;
    batches.add(record('out', 2));
    await sendRecordBatches(send, batches, counts);
    expect(sent).toHaveLength(2);
    expect(counts.known.get('out')).toBe(2);
    expect(counts.stale()).toEqual(['out']);

    failing = false;
    batches.clear();
    batches.add(record('out', 3));
    await sendRecordBatches(send, batches, counts);
    expect(fetches).toBe(3);
    expect(counts.stale()).toEqual([]);
  });

  it('fails with UnknownTopicError when checking a stale count finds the topic gone', async () => {
    let now = 0;
    let exists = true;
    const counts = new PartitionCounts(
      async (topics) => new Map(topics.map((t) => [t, exists ? 2 : undefined])),
      { maxAgeMs: 1_000, now: () => now },
    );
    const batches = new RecordBatches(counts.known);
    batches.add(record('out', 1));
    await sendRecordBatches(async () => [], batches, counts);
    batches.clear();
    now = 5_000;
    exists = false;
    batches.add(record('out', 2));
    await expect(sendRecordBatches(async () => [], batches, counts)).rejects.toBeInstanceOf(
      UnknownTopicError,
    );
  });

  it('checks the counts of every topic of a failed send again before the next commit sends', async () => {
    const counts = new PartitionCounts(async (topics) => new Map(topics.map((t) => [t, 2])));
    const batches = new RecordBatches(counts.known);
    batches.add(record('out', 1));
    await sendRecordBatches(async () => [], batches, counts);
    expect(counts.stale()).toEqual([]);
    batches.clear();
    batches.add(record('out', 2));
    const failing = async (): Promise<never> => {
      throw new Error('UNKNOWN_TOPIC_OR_PARTITION');
    };
    await expect(sendRecordBatches(failing, batches, counts)).rejects.toThrow('UNKNOWN_TOPIC_OR_PARTITION');
    expect(counts.stale()).toEqual(['out']);
  });
});
