import type { OutgoingRecord } from '../../records.ts';

/**
 * One topic-partition's Kafka record batch (magic 2, uncompressed), encoded record by record as
 * they are appended: the batch encoder under RecordBatches (record-batches.ts).
 *
 * Each batch starts with room for the 61-byte batch header: producer id, epoch, sequence and CRC
 * are only known when kafkajs sends it, and our patch of its produce request (scripts/patches)
 * fills them in place.
 */
export const BATCH_HEADER_BYTES = 61;
// Under the broker's default message.max.bytes (1 MiB) with room to spare; a larger partition's
// worth of records goes out in several batches, one per produce request.
export const MAX_BATCH_BYTES = 512 * 1024;
const INITIAL_BATCH_BYTES = 16 * 1024;

/** One batch of one topic-partition: the header's room, then `count` encoded records. */
export class PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  buffer: Buffer;
  /** Bytes in use, the header's room included. */
  length = BATCH_HEADER_BYTES;
  count = 0;
  firstTimestamp = 0;
  maxTimestamp = 0;
  // Per record: where it ends and its timestamp, so that the last records can be taken back.
  readonly #ends: number[] = [];
  readonly #timestamps: number[] = [];

  constructor(topic: string, partition: number, buffer: Buffer = Buffer.allocUnsafe(INITIAL_BATCH_BYTES)) {
    this.topic = topic;
    this.partition = partition;
    this.buffer = buffer;
  }

  /** The batch as it goes on the wire once its header is filled in. */
  get bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  append(record: OutgoingRecord, timestamp: number): void {
    if (this.count === 0) {
      this.firstTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    } else if (timestamp > this.maxTimestamp) {
      this.maxTimestamp = timestamp;
    }
    this.length = writeRecord(this, record, timestamp - this.firstTimestamp, this.count);
    this.#ends[this.count] = this.length;
    this.#timestamps[this.count] = timestamp;
    this.count += 1;
  }

  /** Takes back the last record appended. */
  removeLast(): void {
    if (this.count === 0) return;
    this.count -= 1;
    this.length = this.count === 0 ? BATCH_HEADER_BYTES : (this.#ends[this.count - 1] ?? BATCH_HEADER_BYTES);
    let max = this.firstTimestamp;
    for (let i = 1; i < this.count; i++) max = Math.max(max, this.#timestamps[i] ?? max);
    this.maxTimestamp = max;
  }

  reset(): void {
    this.length = BATCH_HEADER_BYTES;
    this.count = 0;
  }

  /** Makes room for `bytes` more, doubling; the records written so far are copied once. */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

// --- Kafka's record format (DefaultRecord): varints are zigzag-encoded, little groups of 7 bits.

const NO_HEADERS: Record<string, Buffer> = {};

function zigzag(value: number): number {
  // Arithmetic, not bit operations: timestamp deltas may pass 2^31.
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function sizeOfUnsignedVarint(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint(zigzag(value));
}

function sizeOfBytes(bytes: Buffer | null): number {
  return bytes === null ? 1 : sizeOfVarint(bytes.length) + bytes.length;
}

function writeUnsignedVarint(buffer: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buffer[offset++] = value;
  return offset;
}

function writeVarint(buffer: Buffer, offset: number, value: number): number {
  return writeUnsignedVarint(buffer, offset, zigzag(value));
}

function writeBytes(buffer: Buffer, offset: number, bytes: Buffer | null): number {
  if (bytes === null) return writeVarint(buffer, offset, -1);
  offset = writeVarint(buffer, offset, bytes.length);
  return offset + bytes.copy(buffer, offset);
}

/**
 * An upper bound of a record's encoded size without the timestamp and offset deltas' exact
 * varints (at most 10 and 5 bytes), enough to decide whether it still fits a batch.
 */
export function maxRecordBytes(record: OutgoingRecord): number {
  let size = 5 + 1 + 10 + 5 + 5 + (record.key?.length ?? 0) + 5 + (record.value?.length ?? 0) + 5;
  const headers = record.headers;
  if (headers !== undefined)
    for (const name in headers) size += 10 + name.length * 3 + (headers[name]?.length ?? 0);
  return size;
}

function hasAnyHeader(headers: Record<string, Buffer>): boolean {
  for (const name in headers) if (Object.hasOwn(headers, name)) return true;
  return false;
}

function headersSize(headers: Record<string, Buffer>): { size: number; count: number } {
  let size = 0;
  let count = 0;
  for (const name in headers) {
    const nameBytes = Buffer.byteLength(name);
    size += sizeOfVarint(nameBytes) + nameBytes + sizeOfBytes(headers[name] ?? null);
    count++;
  }
  return { size: size + sizeOfVarint(count), count };
}

/** Writes one record at the batch's end, growing the buffer as needed; returns the new end. */
function writeRecord(
  batch: PartitionBatch,
  record: OutgoingRecord,
  timestampDelta: number,
  offsetDelta: number,
): number {
  const headers = record.headers ?? NO_HEADERS;
  const { key, value } = record;
  // Most records have no headers: no object for them.
  const encodedHeaders = hasAnyHeader(headers) ? headersSize(headers) : undefined;
  const bodySize =
    1 +
    sizeOfVarint(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    sizeOfBytes(key) +
    sizeOfBytes(value) +
    (encodedHeaders?.size ?? 1);
  batch.reserve(sizeOfVarint(bodySize) + bodySize);
  const buffer = batch.buffer;
  let at = writeVarint(buffer, batch.length, bodySize);
  buffer[at++] = 0; // attributes: none are defined for records
  at = writeVarint(buffer, at, timestampDelta);
  at = writeVarint(buffer, at, offsetDelta);
  at = writeBytes(buffer, at, key);
  at = writeBytes(buffer, at, value);
  if (encodedHeaders === undefined) {
    buffer[at++] = 0;
    return at;
  }
  at = writeVarint(buffer, at, encodedHeaders.count);
  for (const name in headers) {
    const nameBytes = Buffer.byteLength(name);
    at = writeVarint(buffer, at, nameBytes);
    at += buffer.write(name, at, 'utf8');
    at = writeBytes(buffer, at, headers[name] ?? null);
  }
  return at;
}
