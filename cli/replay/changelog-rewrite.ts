/** One changelog record as the rewrite reads it. */
export interface ChangelogEntry {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The record's timestamp: when it was written (the engine stamps changelog records so). */
  readonly timestamp: number;
}

/** A record the rewrite appends to the changelog: the key's value at the mark, or a tombstone. */
export interface RewriteRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * What to append to one changelog partition so that the state it gives is again the state at a
 * mark (its offset `markEnd`): for each key written at or after `markEnd` whose value now differs
 * from its value at the mark, that value, or a tombstone for a key the mark did not have. Keys
 * untouched since the mark are already right and are not read back.
 *
 * Fed in two passes, each in offset order: the records after the mark, which say which keys
 * changed and what they hold now; then those before it, of which only the changed keys are kept.
 * Restoring the changelog to its new end then gives the mark's state, and a second rewrite over
 * the same mark finds nothing to write (its own records made every changed key equal again).
 */
export class ChangelogRewrite {
  /** Hex key → the key and its latest value after the mark (null: deleted). */
  readonly #now = new Map<string, { key: Buffer; value: Buffer | null }>();
  /** Hex key → its value at the mark, for changed keys that had one (null: deleted by then). */
  readonly #atMark = new Map<string, Buffer | null>();
  #oldestAfterMarkMs: number | undefined;
  #beforeMarkStarted = false;

  /** A record at or after the mark's offset. */
  afterMark(record: ChangelogEntry): void {
    if (this.#beforeMarkStarted) throw new Error('records after the mark come first');
    if (record.key === null) return; // a changelog record always has a key; nothing to restore
    this.#now.set(record.key.toString('hex'), { key: record.key, value: record.value });
    if (this.#oldestAfterMarkMs === undefined || record.timestamp < this.#oldestAfterMarkMs) {
      this.#oldestAfterMarkMs = record.timestamp;
    }
  }

  /** A record before the mark's offset; kept only when its key changed after the mark. */
  beforeMark(record: ChangelogEntry): void {
    this.#beforeMarkStarted = true;
    if (record.key === null) return;
    const hex = record.key.toString('hex');
    if (this.#now.has(hex)) this.#atMark.set(hex, record.value);
  }

  /** Keys written after the mark: whether the records before it are worth reading. */
  get changedKeys(): number {
    return this.#now.size;
  }

  /** The timestamp of the oldest record after the mark (undefined: none), for the history check. */
  get oldestAfterMarkMs(): number | undefined {
    return this.#oldestAfterMarkMs;
  }

  /** The records that put every changed key back to its value at the mark, in key order. */
  records(): RewriteRecord[] {
    const rewrite: RewriteRecord[] = [];
    const keys = [...this.#now.keys()].sort();
    for (const hex of keys) {
      const { key, value: now } = this.#now.get(hex) as { key: Buffer; value: Buffer | null };
      const then = this.#atMark.get(hex) ?? null;
      if (!sameValue(now, then)) rewrite.push({ key, value: then });
    }
    return rewrite;
  }
}

function sameValue(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}
