import type { ConsumedRecord, Headers, OutgoingRecord } from '../../records.ts';
import { setHeader } from '../../records.ts';

/**
 * Records cross between the engine thread and the Kafka client thread packed into one transferable
 * ArrayBuffer per batch: structured cloning an object and two Buffers per record costs more than
 * the records' bytes, and a transfer moves the whole batch without copying. Keys, values and header
 * values arrive as Buffer views into that one ArrayBuffer.
 *
 * Layout per record (little endian): topic index u16, partition i32 (-1: none), offset f64,
 * timestamp f64 (NaN: none), key and value as i32 length (-1: null) + bytes, header count u16, then
 * per header: name length u16 + UTF-8 name, value length i32 + bytes.
 */
export interface PackedRecords {
  topics: string[];
  buffer: ArrayBuffer;
  count: number;
}

type AnyRecord = ConsumedRecord | OutgoingRecord;

const FIXED = 2 + 4 + 8 + 8 + 4 + 4 + 2;

const NO_HEADERS: Array<[string, Buffer]> = [];

// Most records carry no headers: skip allocating an entries array for them.
function headerEntries(headers: Headers | undefined): Array<[string, Buffer]> {
  if (headers === undefined) return NO_HEADERS;
  for (const name in headers) {
    if (Object.hasOwn(headers, name)) return Object.entries(headers);
  }
  return NO_HEADERS;
}

function pack(records: readonly AnyRecord[]): PackedRecords {
  const topics: string[] = [];
  const topicIndex = new Map<string, number>();
  let size = 0;
  let lastTopic: string | undefined;
  const headersOf: Array<Array<[string, Buffer]>> = new Array<Array<[string, Buffer]>>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as AnyRecord;
    if (r.topic !== lastTopic && !topicIndex.has(r.topic)) {
      topicIndex.set(r.topic, topics.length);
      topics.push(r.topic);
    }
    lastTopic = r.topic;
    size += FIXED + (r.key?.length ?? 0) + (r.value?.length ?? 0);
    const headers = headerEntries(r.headers);
    headersOf[i] = headers;
    for (const [name, value] of headers) size += 6 + Buffer.byteLength(name) + value.length;
  }
  const buffer = new ArrayBuffer(size);
  const out = Buffer.from(buffer);
  let at = 0;
  const writeBytes = (bytes: Buffer | null) => {
    if (bytes === null) {
      at = out.writeInt32LE(-1, at);
      return;
    }
    at = out.writeInt32LE(bytes.length, at);
    at += bytes.copy(out, at);
  };
  let topic: string | undefined;
  let topicNumber = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as AnyRecord;
    if (r.topic !== topic) {
      topic = r.topic;
      topicNumber = topicIndex.get(topic) ?? 0;
    }
    at = out.writeUInt16LE(topicNumber, at);
    at = out.writeInt32LE(r.partition ?? -1, at);
    at = out.writeDoubleLE('offset' in r ? r.offset : -1, at);
    at = out.writeDoubleLE(r.timestamp ?? Number.NaN, at);
    writeBytes(r.key);
    writeBytes(r.value);
    const headers = headersOf[i] ?? NO_HEADERS;
    at = out.writeUInt16LE(headers.length, at);
    for (const [name, value] of headers) {
      const nameLength = out.write(name, at + 2, 'utf8');
      out.writeUInt16LE(nameLength, at);
      at += 2 + nameLength;
      writeBytes(value);
    }
  }
  return { topics, buffer, count: records.length };
}

/** A consumed record's fields (partition -1, offset -1 and NaN timestamp stand for none). */
interface Unpacked extends ConsumedRecord {
  headerCount: number;
}

function* unpack(packed: PackedRecords): Generator<Unpacked> {
  const input = Buffer.from(packed.buffer);
  let at = 0;
  const readBytes = (): Buffer | null => {
    const length = input.readInt32LE(at);
    at += 4;
    if (length < 0) return null;
    const bytes = input.subarray(at, at + length);
    at += length;
    return bytes;
  };
  for (let i = 0; i < packed.count; i++) {
    const topic = packed.topics[input.readUInt16LE(at)] ?? '';
    const partition = input.readInt32LE(at + 2);
    const offset = input.readDoubleLE(at + 6);
    const timestamp = input.readDoubleLE(at + 14);
    at += 22;
    const key = readBytes();
    const value = readBytes();
    const headerCount = input.readUInt16LE(at);
    at += 2;
    const headers: Headers = {};
    for (let h = 0; h < headerCount; h++) {
      const nameLength = input.readUInt16LE(at);
      const name = input.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      setHeader(headers, name, readBytes() ?? Buffer.alloc(0));
    }
    yield { topic, partition, offset, timestamp, key, value, headers, headerCount };
  }
}

export function packConsumed(records: readonly ConsumedRecord[]): PackedRecords {
  return pack(records);
}

export function unpackConsumed(packed: PackedRecords): ConsumedRecord[] {
  const records: ConsumedRecord[] = [];
  for (const r of unpack(packed)) {
    records.push({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: r.key,
      value: r.value,
      headers: r.headers,
    });
  }
  return records;
}

export function packOutgoing(records: readonly OutgoingRecord[]): PackedRecords {
  return pack(records);
}

export function unpackOutgoing(packed: PackedRecords): OutgoingRecord[] {
  const records: OutgoingRecord[] = [];
  for (const r of unpack(packed)) {
    const record: OutgoingRecord = { topic: r.topic, key: r.key, value: r.value };
    if (r.partition >= 0) record.partition = r.partition;
    if (!Number.isNaN(r.timestamp)) record.timestamp = r.timestamp;
    if (r.headerCount > 0) record.headers = r.headers;
    records.push(record);
  }
  return records;
}
