/**
 * The zig-zag varint of a signed integer (Avro's long encoding, and the fraud state's), computed with
 * bigints only: the reference that the number fast paths must match byte for byte.
 */
export function zigzagVarint(value: bigint): Buffer {
  let rest = value >= 0n ? value * 2n : -value * 2n - 1n;
  const bytes: number[] = [];
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Buffer.from(bytes);
}
