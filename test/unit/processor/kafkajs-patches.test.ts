import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: Array<{ partition: number; value: string }>;
  partitioner: (args: { message: { partition: number } }) => number;
}
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (
  args: GroupArgs,
) => Record<string, Array<{ value: string }>>;

// scripts/patches/kafkajs+2.2.4.patch is applied by `npm install` (postinstall, patch-package).
describe('patched kafkajs groupMessagesPerPartition', () => {
  it('groups messages per partition in one pass, keeping their order', () => {
    const messages = Array.from({ length: 2_000 }, (_, i) => ({ partition: i % 2, value: `m${i}` }));
    // Unpatched kafkajs spreads the partition's array for every message (`[...current, message]`),
    // which takes the array iterator once per message; the patch iterates once in all.
    const iterate = Object.getOwnPropertyDescriptor(Array.prototype, Symbol.iterator);
    const original = Array.prototype[Symbol.iterator];
    let iterations = 0;
    Object.defineProperty(Array.prototype, Symbol.iterator, {
      ...iterate,
      value: function (this: unknown[]) {
        iterations++;
        return original.call(this);
      },
    });
    let grouped: Record<string, Array<{ value: string }>>;
    try {
      grouped = groupMessagesPerPartition({
        topic: 't',
        partitionMetadata: [{}, {}],
        messages,
        partitioner: ({ message }) => message.partition,
      });
    } finally {
      if (iterate) Object.defineProperty(Array.prototype, Symbol.iterator, iterate);
    }
    expect(iterations).toBeLessThanOrEqual(1);
    expect(Object.keys(grouped)).toEqual(['0', '1']);
    expect(grouped['0']?.length).toBe(1_000);
    expect(grouped['1']?.slice(0, 3).map((m) => m.value)).toEqual(['m1', 'm3', 'm5']);
    expect(grouped['1']?.at(-1)?.value).toBe('m1999');
  });

  it('returns no groups when the topic has no partition metadata', () => {
    expect(
      groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [], partitioner: () => 0 }),
    ).toEqual({});
  });
});

interface KafkaJsEncoder {
  buffer: Buffer;
  offset: number;
  writeVarInt(value: number): KafkaJsEncoder;
  writeInt8(value: number): KafkaJsEncoder;
  writeVarLong(value: number): KafkaJsEncoder;
  writeVarIntBytes(value: Buffer | null): KafkaJsEncoder;
  writeVarIntArray(value: KafkaJsEncoder[]): KafkaJsEncoder;
}
interface RecordFields {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
const Encoder = require('kafkajs/src/protocol/encoder.js') as {
  new (): KafkaJsEncoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: number): number;
  sizeOfVarIntBytes(value: Buffer | null): number;
};
const Header = require('kafkajs/src/protocol/recordBatch/header/v0/index.js') as (h: {
  key: string;
  value: Buffer;
}) => KafkaJsEncoder;
const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
  r: RecordFields,
) => KafkaJsEncoder;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (b: {
    records: KafkaJsEncoder[];
    lastOffsetDelta: number;
    firstTimestamp: number;
    maxTimestamp: number;
  }) => Promise<KafkaJsEncoder>;
};
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: unknown,
) => Promise<{
  records: Array<{
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, Buffer | Buffer[]>;
    offset: string;
    timestamp: string;
  }>;
}>;

/** The record encoding of unpatched kafkajs 2.2.4, written out as the reference. */
function unpatchedRecord({ offsetDelta, timestampDelta, key, value, headers }: RecordFields): Buffer {
  const headersArray = Object.keys(headers).flatMap((headerKey) => {
    const v = headers[headerKey] as Buffer | Buffer[];
    return Array.isArray(v) ? v.map((value) => ({ key: headerKey, value })) : [{ key: headerKey, value: v }];
  });
  let headersSize = Encoder.sizeOfVarInt(headersArray.length);
  for (const h of headersArray) {
    headersSize += Encoder.sizeOfVarInt(Buffer.byteLength(h.key)) + Buffer.byteLength(h.key);
    headersSize += Encoder.sizeOfVarIntBytes(h.value);
  }
  const sizeOfBody =
    1 +
    Encoder.sizeOfVarLong(timestampDelta) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    headersSize;
  return new Encoder()
    .writeVarInt(sizeOfBody)
    .writeInt8(0)
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value)
    .writeVarIntArray(headersArray.map(Header)).buffer;
}

function randomRecord(i: number): RecordFields {
  const headers: Record<string, Buffer | Buffer[]> = {};
  if (i % 3 === 0) headers['saldo.reason'] = randomBytes(i % 40);
  if (i % 5 === 0) headers['multi'] = [Buffer.from('a'), randomBytes(300)];
  return {
    offsetDelta: i,
    timestampDelta: i * 1_000,
    key: i % 7 === 0 ? null : randomBytes(1 + (i % 50)),
    value: i % 11 === 0 ? null : randomBytes(i % 3 === 0 ? 700 : 60),
    headers,
  };
}

describe('patched kafkajs record and batch encoding', () => {
  it('encodes every record byte for byte as unpatched kafkajs does', () => {
    for (let i = 0; i < 300; i++) {
      const fields = randomRecord(i);
      expect(Record(fields).buffer.equals(unpatchedRecord(fields))).toBe(true);
    }
  });

  it('encodes a batch that kafkajs decodes back, checksum included', async () => {
    const fields = Array.from({ length: 500 }, (_, i) => randomRecord(i));
    const now = Date.now();
    const batch = await RecordBatch({
      records: fields.map((f) => Record(f)),
      lastOffsetDelta: fields.length - 1,
      firstTimestamp: now,
      maxTimestamp: now,
    });
    // FirstOffset (8), Length (4), PartitionLeaderEpoch (4), Magic (1), CRC (4), then what it covers.
    const bytes = batch.buffer;
    expect(bytes.readInt32BE(8)).toBe(bytes.length - 12);
    expect(bytes.readUInt32BE(17)).toBe(crc32C(bytes.subarray(21)));
    const decoded = await decodeRecordBatch(new Decoder(bytes));
    expect(decoded.records).toHaveLength(500);
    decoded.records.forEach((record, i) => {
      const f = fields[i] as RecordFields;
      expect(record.offset).toBe(String(i));
      expect(record.key?.equals(f.key ?? Buffer.alloc(0)) ?? f.key === null).toBe(true);
      expect(record.value?.equals(f.value ?? Buffer.alloc(0)) ?? f.value === null).toBe(true);
      expect(Object.keys(record.headers).sort()).toEqual(Object.keys(f.headers).sort());
    });
  });
});

interface VarintEncoder {
  buffer: Buffer;
  writeUVarInt(value: number): VarintEncoder;
  writeVarInt(value: number): VarintEncoder;
  writeVarLong(value: number | string): VarintEncoder;
}
const VarintEncoderClass = require('kafkajs/src/protocol/encoder.js') as {
  new (): VarintEncoder;
  sizeOfVarLong(value: number | string): number;
};

/** Unsigned LEB128 of a non-negative bigint: the wire format of Kafka's varints, as a reference. */
function leb128(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Buffer.from(bytes);
}
const zigZag32 = (v: number): bigint => BigInt(((v << 1) ^ (v >> 31)) >>> 0);
const zigZag64 = (v: bigint): bigint => BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));

describe('patched kafkajs varint encoding', () => {
  const ints = [0, 1, -1, 63, 64, -64, -65, 127, 128, 8191, 8192, 2 ** 31 - 1, -(2 ** 31)];
  for (let i = 0; i < 500; i++) ints.push((Math.random() * 2 ** 32) | 0);
  const longs = [
    0,
    1,
    -1,
    63,
    64,
    -64,
    -65,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 52,
    -(2 ** 52),
    2 ** 52 + 2,
    -(2 ** 53),
  ];
  for (let i = 0; i < 500; i++) longs.push(Math.round((Math.random() - 0.5) * 2 ** (1 + (i % 53))));

  it('writes 32-bit varints as Kafka does', () => {
    for (const v of ints) {
      expect(new VarintEncoderClass().writeVarInt(v).buffer.equals(leb128(zigZag32(v)))).toBe(true);
      const unsigned = v >>> 0;
      expect(new VarintEncoderClass().writeUVarInt(unsigned).buffer.equals(leb128(BigInt(unsigned)))).toBe(
        true,
      );
    }
  });

  it('writes and sizes 64-bit varints as Kafka does, numbers and Long strings alike', () => {
    for (const v of longs) {
      const expected = leb128(zigZag64(BigInt(v)));
      expect(new VarintEncoderClass().writeVarLong(v).buffer.equals(expected)).toBe(true);
      expect(VarintEncoderClass.sizeOfVarLong(v)).toBe(expected.length);
    }
    const huge = '-9223372036854775808';
    expect(new VarintEncoderClass().writeVarLong(huge).buffer.equals(leb128(zigZag64(BigInt(huge))))).toBe(
      true,
    );
  });

  it('appends varints after what the encoder already holds', () => {
    const encoder = new VarintEncoderClass().writeVarInt(300).writeVarLong(-5).writeUVarInt(1);
    expect(encoder.buffer.equals(Buffer.concat([leb128(600n), leb128(9n), leb128(1n)]))).toBe(true);
  });
});

interface PooledEncoder {
  buf: Buffer;
}
const PooledEncoderClass = require('kafkajs/src/protocol/encoder.js') as new (size?: number) => PooledEncoder;

describe('patched kafkajs encoder allocation', () => {
  it('takes small encoders from Node’s buffer pool instead of zero-filled allocations', () => {
    // Buffer.alloc never pools; allocUnsafe slices small buffers out of one shared pool.
    const encoder = new PooledEncoderClass(60);
    expect(encoder.buf.length).toBe(64);
    expect(encoder.buf.buffer.byteLength).toBe(Buffer.poolSize);
  });
});

interface VarLongDecoder {
  offset: number;
  readVarLong(): { toString(): string };
  readVarLongNumber(): number | { toString(): string };
}
const VarLongDecoderClass = require('kafkajs/src/protocol/decoder.js') as new (
  buffer: Buffer,
) => VarLongDecoder;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(value: unknown): unknown };

/** Runs `work` counting kafkajs' Long.fromValue calls: a Long per record is what the patches remove. */
async function countingLongs<T>(work: () => T | Promise<T>): Promise<{ result: T; longs: number }> {
  const fromValue = Long.fromValue;
  let longs = 0;
  Long.fromValue = (value: unknown) => {
    longs++;
    return fromValue.call(Long, value);
  };
  try {
    return { result: await work(), longs };
  } finally {
    Long.fromValue = fromValue;
  }
}

interface DecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

/** A batch as kafkajs encodes it, with a given first offset (the fetch response's base offset). */
async function encodedBatch(
  records: RecordFields[],
  firstOffset: bigint,
  firstTimestamp: number,
): Promise<Buffer> {
  const batch = await RecordBatch({
    records: records.map((r) => Record(r)),
    lastOffsetDelta: records.length - 1,
    firstTimestamp,
    maxTimestamp: firstTimestamp,
  });
  const bytes = Buffer.from(batch.buffer);
  bytes.writeBigInt64BE(firstOffset, 0);
  return bytes;
}

describe('patched kafkajs record decoding', () => {
  it('reads varlongs of up to 7 bytes as numbers and longer ones as Longs, as Kafka encodes them', () => {
    const values = [0n, 1n, -1n, 63n, -64n, 64n, 2n ** 47n - 1n, -(2n ** 47n), 2n ** 48n, -(2n ** 63n)];
    for (let i = 0; i < 300; i++)
      values.push(BigInt(Math.round((Math.random() - 0.5) * 2 ** (1 + (i % 52)))));
    for (const v of values) {
      const bytes = Buffer.concat([leb128(zigZag64(v)), Buffer.from([0xaa])]);
      const decoder = new VarLongDecoderClass(bytes);
      const decoded = decoder.readVarLongNumber();
      expect(String(decoded)).toBe(v.toString());
      expect(typeof decoded).toBe(bytes.length - 1 <= 7 ? 'number' : 'object');
      expect(decoder.offset).toBe(bytes.length - 1);
    }
  });

  it('gives every record its offset and timestamp without a Long per record', async () => {
    const firstTimestamp = 1_763_900_000_000;
    const fields = Array.from({ length: 50 }, (_, i) => ({
      ...randomRecord(i),
      timestampDelta: (i - 10) * 997,
    }));
    const bytes = await encodedBatch(fields, 123_456_789_012n, firstTimestamp);
    const { result, longs } = await countingLongs(() => decodeRecordBatch(new Decoder(bytes)));
    const decoded = result.records as DecodedRecord[];
    expect(longs).toBe(0);
    decoded.forEach((record, i) => {
      expect(record.offset).toBe(String(123_456_789_012 + i));
      expect(record.timestamp).toBe(String(firstTimestamp + (i - 10) * 997));
    });
  });

  it('decodes records in place: no Buffer of its own per record, only its key and value', async () => {
    const fields = Array.from({ length: 100 }, (_, i) => ({ ...randomRecord(i + 1), headers: {} }));
    const bytes = await encodedBatch(fields, 0n, 1_000);
    const slice = Buffer.prototype.slice;
    let slices = 0;
    Buffer.prototype.slice = function (this: Buffer, start?: number, end?: number) {
      slices++;
      return slice.call(this, start, end);
    };
    let decoded: DecodedRecord[];
    try {
      decoded = (await decodeRecordBatch(new Decoder(bytes))).records as DecodedRecord[];
    } finally {
      Buffer.prototype.slice = slice;
    }
    expect(decoded).toHaveLength(100);
    // The batch itself takes one; unpatched kafkajs also sliced every record out before decoding it.
    expect(slices).toBeLessThanOrEqual(1 + 2 * 100);
    decoded.forEach((record, i) => {
      expect(record.key?.equals((fields[i] as RecordFields).key ?? Buffer.alloc(0)) ?? true).toBe(true);
    });
  });

  it('falls back to 64-bit arithmetic for offsets beyond 2^53', async () => {
    const base = 2n ** 62n + 5n;
    const bytes = await encodedBatch([randomRecord(1), randomRecord(2)], base, 1_000);
    const decoded = (await decodeRecordBatch(new Decoder(bytes))).records;
    // randomRecord(i) has offset delta i.
    expect(decoded.map((r) => r.offset)).toEqual([(base + 1n).toString(), (base + 2n).toString()]);
  });

  it('collects repeated headers into arrays and keeps a header named __proto__ as data', async () => {
    const headers = JSON.parse('{"__proto__": "x", "toString": "y", "plain": "z"}', (_key, value: unknown) =>
      typeof value === 'string' ? Buffer.from(value) : value,
    ) as Record<string, Buffer>;
    const repeated = { ...randomRecord(1), headers: { multi: [Buffer.from('a'), Buffer.from('b')] } };
    const bytes = await encodedBatch([{ ...randomRecord(1), headers }, repeated], 0n, 1_000);
    const [first, second] = (await decodeRecordBatch(new Decoder(bytes))).records as DecodedRecord[];
    expect(Object.getPrototypeOf(first?.headers)).toBe(Object.prototype);
    expect(Object.keys(first?.headers ?? {}).sort()).toEqual(['__proto__', 'plain', 'toString']);
    expect(String(Object.getOwnPropertyDescriptor(first?.headers, '__proto__')?.value)).toBe('x');
    expect(String(first?.headers['toString'])).toBe('y');
    expect((second?.headers['multi'] as Buffer[]).map(String)).toEqual(['a', 'b']);
  });
});

interface ProduceMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | Buffer[]>;
  timestamp?: string | number;
}
interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: ProduceMessage[];
}
const produceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (args: {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: number;
  producerEpoch?: number;
  topicData: Array<{ topic: string; partitions: PartitionData[] }>;
}) => { encode(): Promise<{ buffer: Buffer }> };

/** The original produce v3 encoding (kafkajs 2.2.4) of one partition, rebuilt from Record and RecordBatch. */
async function unpatchedPartition(
  data: PartitionData,
  transactional: boolean,
  producerId: number,
  producerEpoch: number,
  dateNow: number,
): Promise<Buffer> {
  const timestamps = data.messages
    .map((m) => m.timestamp)
    .filter((t) => t != null)
    .sort();
  const first = timestamps.length === 0 ? dateNow : (timestamps[0] as string | number);
  const max = timestamps.length === 0 ? dateNow : (timestamps[timestamps.length - 1] as string | number);
  const records = data.messages.map((m, i) =>
    Record({
      key: (m.key ?? null) as Buffer | null,
      value: m.value as Buffer | null,
      headers: m.headers ?? {},
      offsetDelta: i,
      timestampDelta: Number(m.timestamp || dateNow) - Number(first),
    }),
  );
  const batch = await (RecordBatch as unknown as (b: Record<string, unknown>) => Promise<{ buffer: Buffer }>)(
    {
      records,
      firstTimestamp: first,
      maxTimestamp: max,
      producerId,
      producerEpoch,
      firstSequence: data.firstSequence ?? 0,
      transactional,
      lastOffsetDelta: records.length - 1,
    },
  );
  const head = Buffer.alloc(8);
  head.writeInt32BE(data.partition, 0);
  head.writeInt32BE(batch.buffer.length, 4);
  return Buffer.concat([head, batch.buffer]);
}

describe('patched kafkajs produce request encoding', () => {
  it('writes uncompressed batches byte for byte as the original Record and RecordBatch do', async () => {
    const now = Date.now();
    const randomMessage = (i: number): ProduceMessage => {
      const fields = randomRecord(i);
      const timestamp = i % 4 === 0 ? undefined : i % 4 === 1 ? String(now - i * 7) : now + i;
      return {
        key: i % 9 === 0 ? `text-key-${i}` : fields.key,
        value: i % 13 === 0 ? `text value ${i} ñ` : fields.value,
        ...(i % 6 === 0 ? {} : { headers: fields.headers }),
        ...(timestamp === undefined ? {} : { timestamp }),
      };
    };
    const partitions = (topicIndex: number): PartitionData[] =>
      [0, 1, 2, 3].map((partition) => ({
        partition,
        firstSequence: partition * 10,
        // Partitions 0 and 1 mix string, number and missing timestamps; partition 2 has none, so
        // the batch takes Date.now(); partition 3 has only epoch-millisecond numbers, out of order.
        messages: Array.from({ length: 40 + partition * 25 }, (_, i) => {
          const message = randomMessage(i + topicIndex * 100);
          if (partition === 2) delete message.timestamp;
          if (partition === 3) message.timestamp = now + ((i * 7919) % 1000) - 500;
          return message;
        }),
      }));
    const topicData = [
      { topic: 'saldo-a', partitions: partitions(0) },
      { topic: 'saldo-b', partitions: partitions(1) },
    ];
    for (const transactionalId of [null, 'saldo-app-0_1']) {
      const frozenNow = Date.now;
      Date.now = () => now;
      let actual: Buffer;
      try {
        actual = (
          await produceV3({
            acks: -1,
            timeout: 30_000,
            transactionalId,
            producerId: 42,
            producerEpoch: 3,
            topicData,
          }).encode()
        ).buffer;
      } finally {
        Date.now = frozenNow;
      }
      const expected: Buffer[] = [];
      const nullableString = (s: string | null): Buffer => {
        if (s === null) return Buffer.from([0xff, 0xff]);
        const b = Buffer.alloc(2 + Buffer.byteLength(s));
        b.writeInt16BE(Buffer.byteLength(s), 0);
        b.write(s, 2);
        return b;
      };
      const int = (bytes: number, v: number): Buffer => {
        const b = Buffer.alloc(bytes);
        if (bytes === 2) b.writeInt16BE(v);
        else b.writeInt32BE(v);
        return b;
      };
      expected.push(nullableString(transactionalId), int(2, -1), int(4, 30_000), int(4, topicData.length));
      for (const topic of topicData) {
        expected.push(nullableString(topic.topic), int(4, topic.partitions.length));
        for (const data of topic.partitions) {
          expected.push(await unpatchedPartition(data, transactionalId !== null, 42, 3, now));
        }
      }
      expect(actual.equals(Buffer.concat(expected))).toBe(true);
    }
  });
});

describe('patched kafkajs CRC32C', () => {
  // The CRC-32C (Castagnoli) table, computed here from the reflected polynomial as a reference.
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  const bytewise = (bytes: Buffer): number => {
    let crc = -1;
    for (const byte of bytes) crc = (table[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
    return (crc ^ -1) >>> 0;
  };

  it('gives the standard check value and the byte-at-a-time checksum for every length', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
    for (let length = 0; length < 300; length++) {
      const bytes = randomBytes(length);
      expect(crc32C(bytes)).toBe(bytewise(bytes));
      // A view into a larger buffer, as the batch encoder passes it.
      const view = Buffer.concat([randomBytes(3), bytes, randomBytes(5)]).subarray(3, 3 + length);
      expect(crc32C(view)).toBe(bytewise(bytes));
    }
  });
});

interface SeekOffsetsMap {
  getKey(topic: string, partition: number): string;
  has(topic: string, partition: number): boolean;
  set(topic: string, partition: number, offset: string): void;
}
const SeekOffsets = require('kafkajs/src/consumer/seekOffsets.js') as new () => SeekOffsetsMap;

describe('patched kafkajs seek offsets', () => {
  it('answers has() without building a key while no seek is pending, and as before otherwise', () => {
    const seeks = new SeekOffsets();
    let keys = 0;
    const getKey = seeks.getKey.bind(seeks);
    seeks.getKey = (topic, partition) => {
      keys++;
      return getKey(topic, partition);
    };
    expect(seeks.has('in', 0)).toBe(false);
    expect(keys).toBe(0);
    seeks.set('in', 3, '42');
    expect(seeks.has('in', 3)).toBe(true);
    expect(seeks.has('in', 0)).toBe(false);
  });
});

const Batch = require('kafkajs/src/consumer/batch.js') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: { partition: number; highWatermark: string; messages: Array<{ offset: string }> },
) => { messages: Array<{ offset: string }> };

describe('patched kafkajs consumer batch', () => {
  const batchOf = (fetchedOffset: string, offsets: string[]) =>
    new Batch('t', fetchedOffset, {
      partition: 0,
      highWatermark: '0',
      messages: offsets.map((offset) => ({ offset, isControlRecord: false })),
    }).messages.map((m) => m.offset);

  it('drops messages below the fetched offset, comparing numbers without a Long per message', async () => {
    const { result: kept, longs } = await countingLongs(() =>
      batchOf('1000', ['998', '999', '1000', '1001', '10000']),
    );
    expect(kept).toEqual(['1000', '1001', '10000']);
    expect(longs).toBeLessThanOrEqual(1); // the fetched offset's, as before
  });

  it('falls back to 64-bit comparison beyond 2^53', () => {
    const big = 2n ** 60n;
    expect(batchOf(String(big), [String(big - 1n), String(big), String(big + 1n)])).toEqual([
      String(big),
      String(big + 1n),
    ]);
  });
});

interface KafkaJsRequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  scheduleCheckPendingRequests(): void;
  checkPendingRequests(): void;
}
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: {
  maxInFlightRequests: number | null;
  requestTimeout: number;
  enforceRequestTimeout: boolean;
  clientId: string;
  broker: string;
  logger: { debug(): void; warn(): void; error(): void; info(): void };
}) => KafkaJsRequestQueue;

describe('patched kafkajs request queue', () => {
  const quiet = { debug() {}, warn() {}, error() {}, info() {} };
  const queue = () =>
    new RequestQueue({
      maxInFlightRequests: null,
      requestTimeout: 30_000,
      enforceRequestTimeout: true,
      clientId: 'c',
      broker: 'b',
      logger: quiet,
    });

  it('sets no timer while nothing is pending and nothing throttles (kafkajs #1704: a 1 ms loop per connection)', () => {
    const q = queue();
    q.checkPendingRequests();
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('still checks again for waiting requests, and at the end of a throttle', () => {
    const waiting = queue();
    waiting.pending.push({});
    waiting.throttledUntil = Date.now() + 60_000;
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(waiting.throttleCheckTimeoutId ?? undefined);

    const unthrottled = queue();
    unthrottled.pending.push({});
    unthrottled.scheduleCheckPendingRequests();
    expect(unthrottled.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(unthrottled.throttleCheckTimeoutId ?? undefined);

    const throttled = queue();
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.scheduleCheckPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(throttled.throttleCheckTimeoutId ?? undefined);
  });
});

interface FakeBroker {
  nodeId: number;
  initProducerId(args: unknown): Promise<{ producerId: number; producerEpoch: number }>;
  addPartitionsToTxn(args: unknown): Promise<void>;
  addOffsetsToTxn(args: unknown): Promise<void>;
  txnOffsetCommit(args: unknown): Promise<void>;
  endTxn(args: unknown): Promise<void>;
}
interface EosManager {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  addPartitionsToTransaction(
    topicData: Array<{ topic: string; partitions: Array<{ partition: number }> }>,
  ): Promise<void>;
  sendOffsets(args: { consumerGroupId: string; topics: unknown[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
const createEosManager = require('kafkajs/src/producer/eosManager/index.js') as (args: {
  logger: unknown;
  cluster: unknown;
  transactional: boolean;
  transactionalId: string;
}) => EosManager;
const { KafkaJSProtocolError } = require('kafkajs/src/errors.js') as {
  KafkaJSProtocolError: new (e: { message: string; type: string; code: number; retriable: boolean }) => Error;
};

/** A cluster of one broker that counts FindCoordinator lookups and the requests sent to it. */
function fakeCluster() {
  const sent: string[] = [];
  // The errors the next requests of a kind fail with, one per request.
  const failNext = new Map<string, Error[]>();
  const request = (name: string) => async (): Promise<void> => {
    sent.push(name);
    const error = failNext.get(name)?.shift();
    if (error !== undefined) throw error;
  };
  const broker: FakeBroker = {
    nodeId: 1,
    initProducerId: async () => {
      sent.push('InitProducerId');
      return { producerId: 7, producerEpoch: 0 };
    },
    addPartitionsToTxn: request('AddPartitionsToTxn'),
    addOffsetsToTxn: request('AddOffsetsToTxn'),
    txnOffsetCommit: request('TxnOffsetCommit'),
    endTxn: request('EndTxn'),
  };
  const silent = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  const cluster = {
    retry: { retries: 2, initialRetryTime: 1, maxRetryTime: 2 },
    refreshMetadataIfNecessary: async () => undefined,
    findGroupCoordinator: async () => {
      sent.push('FindCoordinator');
      return broker;
    },
    findBroker: async ({ nodeId }: { nodeId: number }) => {
      if (nodeId !== broker.nodeId) throw new Error(`no broker ${nodeId}`);
      return broker;
    },
  };
  return { cluster, sent, failNext, logger: { ...silent, namespace: () => silent } };
}

async function oneTransaction(eos: EosManager, partition: number): Promise<void> {
  eos.beginTransaction();
  await eos.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition }] }]);
  await eos.sendOffsets({ consumerGroupId: 'app', topics: [] });
  await eos.commit();
}

/** A producer of the fake cluster that has run one transaction; its requests counted from there on. */
async function afterOneTransaction() {
  const { cluster, sent, failNext, logger } = fakeCluster();
  const eos = createEosManager({ logger, cluster, transactional: true, transactionalId: 'app-0_1' });
  await eos.initProducerId();
  await oneTransaction(eos, 0);
  sent.length = 0;
  return { eos, sent, failNext };
}

const concurrentTransactions = () =>
  new KafkaJSProtocolError({
    message: 'concurrent transactions',
    type: 'CONCURRENT_TRANSACTIONS',
    code: 51,
    retriable: true,
  });
const notCoordinator = () =>
  new KafkaJSProtocolError({
    message: 'not the coordinator',
    type: 'NOT_COORDINATOR',
    code: 16,
    retriable: true,
  });

describe('patched kafkajs transactions (eosManager)', () => {
  it('looks each coordinator up once, not before every transactional request', async () => {
    const { cluster, sent, logger } = fakeCluster();
    const eos = createEosManager({ logger, cluster, transactional: true, transactionalId: 'app-0_1' });
    await eos.initProducerId();
    await oneTransaction(eos, 0);
    await oneTransaction(eos, 1);
    // Unpatched kafkajs asks FindCoordinator before AddPartitionsToTxn, AddOffsetsToTxn,
    // TxnOffsetCommit and EndTxn: 4 lookups per transaction. Now: the transaction coordinator
    // (InitProducerId) and the group coordinator (first TxnOffsetCommit), once each.
    expect(sent.filter((name) => name === 'FindCoordinator')).toHaveLength(2);
    expect(sent.filter((name) => name !== 'FindCoordinator')).toEqual([
      'InitProducerId',
      ...['AddPartitionsToTxn', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn'],
      ...['AddPartitionsToTxn', 'AddOffsetsToTxn', 'TxnOffsetCommit', 'EndTxn'],
    ]);
  });

  // The caller aborts after a failed AddOffsetsToTxn: its EndTxn goes to a coordinator looked up
  // afresh if the failure said the coordinator moved, and to the same one otherwise.
  it.each([
    {
      failure: 'NOT_COORDINATOR',
      error: notCoordinator,
      requests: ['AddPartitionsToTxn', 'AddOffsetsToTxn', 'FindCoordinator', 'EndTxn'],
    },
    {
      failure: 'CONCURRENT_TRANSACTIONS',
      error: concurrentTransactions,
      requests: ['AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn'],
    },
  ])(
    'aborts after $failure on AddOffsetsToTxn through the coordinator that calls for',
    async ({ error, requests }) => {
      const { eos, sent, failNext } = await afterOneTransaction();
      const failure = error();
      failNext.set('AddOffsetsToTxn', [failure]);
      eos.beginTransaction();
      await eos.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 1 }] }]);
      await expect(eos.sendOffsets({ consumerGroupId: 'app', topics: [] })).rejects.toBe(failure);
      await eos.abort();
      expect(sent).toEqual(requests);
    },
  );

  it('asks again soon when the coordinator still completes the previous transaction', async () => {
    const { cluster, sent, failNext, logger } = fakeCluster();
    const eos = createEosManager({ logger, cluster, transactional: true, transactionalId: 'app-0_1' });
    await eos.initProducerId();
    sent.length = 0;
    // Twice, as a coordinator still writing the previous transaction's markers does.
    failNext.set('AddPartitionsToTxn', [concurrentTransactions(), concurrentTransactions()]);
    const started = performance.now();
    eos.beginTransaction();
    const adding = eos.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 0 }] }]);
    await adding;
    expect(sent).toEqual(['AddPartitionsToTxn', 'AddPartitionsToTxn', 'AddPartitionsToTxn']);
    // 10 ms, then 20 ms apart: well under the send retrier's 100 ms.
    expect(performance.now() - started).toBeLessThan(100);

    failNext.set('AddPartitionsToTxn', [notCoordinator()]);
    await expect(
      eos.addPartitionsToTransaction([{ topic: 'out', partitions: [{ partition: 1 }] }]),
    ).rejects.toThrow('not the coordinator');
  });

  it('finds the group coordinator again when the commit of offsets is told it moved', async () => {
    const { eos, sent, failNext } = await afterOneTransaction();

    failNext.set('TxnOffsetCommit', [notCoordinator()]);
    await oneTransaction(eos, 1);
    // The failed TxnOffsetCommit is retried against a coordinator looked up again, and the
    // transaction coordinator is looked up again for the EndTxn that follows.
    expect(sent).toEqual([
      'AddPartitionsToTxn',
      'AddOffsetsToTxn',
      'TxnOffsetCommit',
      'FindCoordinator',
      'TxnOffsetCommit',
      'FindCoordinator',
      'EndTxn',
    ]);
  });
});
