import { SerdeError } from '../../state/index.ts';
import { GrowingBytes } from '../store-format.ts';

// Fraud state values are written on every transaction and logged to changelogs: unsigned
// varints (7 bits a byte) keep a typical profile at a few hundred bytes.

// Below this, a bigint's zig-zag form (2|n|) is an exact number: the fast paths of bigint().
const FAST_LIMIT_BIGINT = 2n ** 52n;

/** Writes unsigned varints, small texts and doubles into a growing buffer. */
export class CompactWriter extends GrowingBytes {
  constructor() {
    super(256);
  }

  #byte(value: number): void {
    const at = this.reserve(1);
    this.buffer[at] = value;
  }

  double(value: number): this {
    const at = this.reserve(8);
    this.buffer.writeDoubleBE(value, at);
    return this;
  }

  /** A whole number from 0 to 2^53. */
  uint(value: number): this {
    if (!(Number.isSafeInteger(value) && value >= 0)) throw new RangeError(`not a varint: ${value}`);
    let rest = value;
    while (rest >= 0x80) {
      this.#byte((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.#byte(rest);
    return this;
  }

  /** A bigint of any sign (zig-zag). */
  bigint(value: bigint): this {
    // Sums of minor units are far below 2^52: their zig-zag form is an exact number, whose varint
    // is the same bytes without a bigint per byte.
    if (value > -FAST_LIMIT_BIGINT && value < FAST_LIMIT_BIGINT) {
      const n = Number(value);
      return this.uint(n >= 0 ? n * 2 : -n * 2 - 1);
    }
    let rest = value >= 0n ? value * 2n : -value * 2n - 1n;
    while (rest >= 0x80n) {
      this.#byte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.#byte(Number(rest));
    return this;
  }

  /** UTF-8 text, its byte length first. */
  text(value: string): this {
    const bytes = Buffer.byteLength(value);
    this.uint(bytes);
    const at = this.reserve(bytes);
    this.buffer.write(value, at, bytes, 'utf8');
    return this;
  }
}

/** Reads what CompactWriter wrote; a short or malformed value is a SerdeError of the store. */
export class CompactReader {
  readonly #bytes: Buffer;
  readonly #serde: string;
  #at = 0;

  constructor(bytes: Buffer, serde: string) {
    this.#bytes = bytes;
    this.#serde = serde;
  }

  #byte(): number {
    if (this.#at >= this.#bytes.length) throw new SerdeError(this.#serde, 'value ends early');
    return this.#bytes[this.#at++] as number;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.#byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new SerdeError(this.#serde, 'varint too long');
    }
  }

  bigint(): bigint {
    // Up to 7 bytes (49 bits) the varint is read as a number; longer ones take the bigint path.
    const start = this.#at;
    let small = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const byte = this.#byte();
      small += (byte & 0x7f) * scale;
      if (byte < 0x80) return BigInt(small % 2 === 1 ? -(small + 1) / 2 : small / 2);
      scale *= 0x80;
    }
    this.#at = start;
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.#byte();
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) break;
      shift += 7n;
    }
    return value & 1n ? -((value + 1n) / 2n) : value / 2n;
  }

  double(): number {
    if (this.#at + 8 > this.#bytes.length) throw new SerdeError(this.#serde, 'value ends early');
    const value = this.#bytes.readDoubleBE(this.#at);
    this.#at += 8;
    return value;
  }

  text(): string {
    const length = this.uint();
    if (this.#at + length > this.#bytes.length) throw new SerdeError(this.#serde, 'value ends early');
    const value = this.#bytes.toString('utf8', this.#at, this.#at + length);
    this.#at += length;
    return value;
  }

  /** Checks the format byte. */
  format(expected: number): void {
    const found = this.#byte();
    if (found !== expected)
      throw new SerdeError(this.#serde, `unknown format ${found} (expected ${expected})`);
  }

  end(): void {
    if (this.#at !== this.#bytes.length)
      throw new SerdeError(this.#serde, `${this.#bytes.length - this.#at} bytes left after the value`);
  }
}
