import { SerdeError } from '../state/index.ts';

// The product's store values are small binary records: every transaction reads and writes
// several of them, and JSON (with its bigint walk) costs far more per record (the counting
// topology's profile in BENCHMARKS.md). Each format starts with a version byte.

const UTF8_NULL_LENGTH = 0xffff;

/** A buffer that grows as a store value is written into it: the base of the value writers. */
export class GrowingBytes {
  #buffer: Buffer;
  #length = 0;

  /** `initialBytes`: the exact size when known (toBuffer then copies nothing). */
  constructor(initialBytes = 64) {
    this.#buffer = Buffer.allocUnsafe(initialBytes);
  }

  /**
   * Makes room for `bytes` more and returns where they start. It may replace the buffer: take the
   * offset first, then read `buffer` (never both in one expression).
   */
  protected reserve(bytes: number): number {
    const at = this.#length;
    if (at + bytes > this.#buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, at + bytes));
      this.#buffer.copy(grown, 0, 0, at);
      this.#buffer = grown;
    }
    this.#length = at + bytes;
    return at;
  }

  protected get buffer(): Buffer {
    return this.#buffer;
  }

  /**
   * The bytes written, in a buffer of their own (the store keeps it): the writer's own buffer when
   * it was sized exactly, else a copy. Use the writer no more afterwards.
   */
  toBuffer(): Buffer {
    if (this.#length === this.#buffer.length) return this.#buffer;
    return Buffer.from(this.#buffer.subarray(0, this.#length));
  }
}

/** Writes a store value field by field (fixed-width numbers, short texts). */
export class StoreValueWriter extends GrowingBytes {
  uint8(value: number): this {
    const at = this.reserve(1);
    this.buffer[at] = value;
    return this;
  }

  /** A whole number of ms, a counter: exact up to 2^53. */
  number(value: number): this {
    const at = this.reserve(8);
    this.buffer.writeDoubleBE(value, at);
    return this;
  }

  int64(value: bigint): this {
    const at = this.reserve(8);
    this.buffer.writeBigInt64BE(value, at);
    return this;
  }

  /** Up to 65,534 bytes of UTF-8, or null. */
  text(value: string | null): this {
    if (value === null) {
      const at = this.reserve(2);
      this.buffer.writeUInt16BE(UTF8_NULL_LENGTH, at);
      return this;
    }
    const bytes = Buffer.byteLength(value);
    if (bytes >= UTF8_NULL_LENGTH)
      throw new RangeError(`text of ${bytes} bytes is too long for a store value`);
    const at = this.reserve(2 + bytes);
    this.buffer.writeUInt16BE(bytes, at);
    this.buffer.write(value, at + 2, bytes, 'utf8');
    return this;
  }

  /** Exactly three ASCII letters (an ISO 4217 code). */
  code3(value: string): this {
    const at = this.reserve(3);
    this.buffer.write(value, at, 3, 'latin1');
    return this;
  }

  /** Raw bytes, as they are (the last field of a value: nothing says where they end). */
  bytes(value: Buffer): this {
    const at = this.reserve(value.length);
    value.copy(this.buffer, at);
    return this;
  }

  /** The bytes `text` takes. */
  static textBytes(value: string | null): number {
    return 2 + (value === null ? 0 : Buffer.byteLength(value));
  }
}

/** Reads a store value written by StoreValueWriter, checking that it is whole. */
export class StoreValueReader {
  readonly #bytes: Buffer;
  readonly #serde: string;
  #at = 0;

  constructor(bytes: Buffer, serde: string) {
    this.#bytes = bytes;
    this.#serde = serde;
  }

  #take(bytes: number): number {
    const at = this.#at;
    if (at + bytes > this.#bytes.length) {
      throw new SerdeError(this.#serde, `value ends after ${this.#bytes.length} bytes; expected more`);
    }
    this.#at = at + bytes;
    return at;
  }

  uint8(): number {
    return this.#bytes[this.#take(1)] as number;
  }

  number(): number {
    return this.#bytes.readDoubleBE(this.#take(8));
  }

  int64(): bigint {
    return this.#bytes.readBigInt64BE(this.#take(8));
  }

  text(): string | null {
    const length = this.#bytes.readUInt16BE(this.#take(2));
    if (length === UTF8_NULL_LENGTH) return null;
    const at = this.#take(length);
    return this.#bytes.toString('utf8', at, at + length);
  }

  code3(): string {
    const at = this.#take(3);
    return this.#bytes.toString('latin1', at, at + 3);
  }

  /** Checks the format byte. */
  format(expected: number): void {
    this.formatIn([expected]);
  }

  /** Checks the format byte against the formats a serde reads; returns the one found. */
  formatIn(accepted: readonly number[]): number {
    const found = this.uint8();
    if (!accepted.includes(found))
      throw new SerdeError(this.#serde, `unknown format ${found} (expected ${accepted.join(' or ')})`);
    return found;
  }

  /** What is left of the value, as a view on it (no copy): a last field written by `bytes`. */
  rest(): Buffer {
    const at = this.#take(this.#bytes.length - this.#at);
    return this.#bytes.subarray(at);
  }

  /** Checks that nothing is left unread. */
  end(): void {
    if (this.#at !== this.#bytes.length) {
      throw new SerdeError(this.#serde, `${this.#bytes.length - this.#at} bytes left after the value`);
    }
  }
}
