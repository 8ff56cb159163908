/** Where a replay starts from, as the operator said it. */
export type ReplayFrom =
  /** A time (epoch ms): per partition, the first input record stamped at or after it. */
  | { readonly kind: 'time'; readonly timestampMs: number }
  /** An input offset per partition (`all`: the same for every partition). */
  | { readonly kind: 'offsets'; readonly offsets: ReadonlyMap<number, number> | { readonly all: number } };

/** A flag of `saldo replay` that cannot be read; the message says what was expected. */
export class ReplayArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayArgumentError';
  }
}

/** `--from <iso|ms>` or `--from-offset <n | p:n,…>`: exactly one. */
export function parseReplayFrom(from: string | undefined, fromOffset: string | undefined): ReplayFrom {
  if ((from === undefined) === (fromOffset === undefined)) {
    throw new ReplayArgumentError(
      'say where to replay from: --from <ISO time | epoch ms> or --from-offset <offset | partition:offset,…>',
    );
  }
  if (from !== undefined) {
    const timestampMs = /^\d+$/.test(from) ? Number(from) : Date.parse(from);
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) {
      throw new ReplayArgumentError(
        `--from must be an ISO time (2026-12-08T10:00:00Z) or epoch milliseconds, got '${from}'`,
      );
    }
    return { kind: 'time', timestampMs };
  }
  const text = (fromOffset as string).trim();
  if (/^\d+$/.test(text)) return { kind: 'offsets', offsets: { all: Number(text) } };
  const offsets = new Map<number, number>();
  for (const part of text.split(',')) {
    const match = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (match === null) {
      throw new ReplayArgumentError(
        `--from-offset must be an offset or partition:offset pairs (0:1200,3:950), got '${fromOffset}'`,
      );
    }
    const partition = Number(match[1]);
    if (offsets.has(partition))
      throw new ReplayArgumentError(`--from-offset names partition ${partition} twice`);
    offsets.set(partition, Number(match[2]));
  }
  return { kind: 'offsets', offsets };
}

/**
 * `--partitions 0,3` (default: every partition; with per-partition --from-offset, those it names),
 * checked against the input's partition count.
 */
export function parsePartitions(text: string | undefined, count: number, from: ReplayFrom): number[] {
  const named =
    text !== undefined
      ? text.split(',').map((p) => p.trim())
      : from.kind === 'offsets' && from.offsets instanceof Map
        ? [...from.offsets.keys()].map(String)
        : undefined;
  if (named === undefined) return Array.from({ length: count }, (_, p) => p);
  const partitions = named.map((p) => {
    const partition = Number(p);
    if (!/^\d+$/.test(p) || partition >= count) {
      throw new ReplayArgumentError(
        `partitions must be whole numbers from 0 to ${count - 1} (the input has ${count}), got '${p}'`,
      );
    }
    return partition;
  });
  if (from.kind === 'offsets' && from.offsets instanceof Map) {
    const missing = partitions.filter((p) => !(from.offsets as ReadonlyMap<number, number>).has(p));
    if (missing.length > 0) {
      throw new ReplayArgumentError(`--from-offset gives no offset for partition ${missing.join(', ')}`);
    }
  }
  return [...new Set(partitions)].sort((a, b) => a - b);
}
