// Store keys as bytes: byte-order bounds for range scans, and the string form in-memory maps use.

/**
 * A key's bytes as latin1, one character per byte: a cheap map key, and string order equals the
 * byte order LevelDB uses.
 */
export function keyText(key: Buffer): string {
  return key.toString('latin1');
}

/** The smallest key greater than `key`: makes an inclusive upper bound usable as `lt`. */
export function justAfter(key: Buffer): Buffer {
  const bound = Buffer.alloc(key.length + 1);
  key.copy(bound);
  return bound;
}

/** The smallest key greater than every key starting with `prefix`; undefined when there is none. */
export function prefixEnd(prefix: Buffer): Buffer | undefined {
  for (let index = prefix.length - 1; index >= 0; index -= 1) {
    const byte = prefix[index] as number;
    if (byte < 0xff) {
      const bound = Buffer.from(prefix.subarray(0, index + 1));
      bound[index] = byte + 1;
      return bound;
    }
  }
  return undefined;
}
