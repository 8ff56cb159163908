import { keyText } from './key-bounds.ts';
import { SortedKeyList } from './sorted-key-list.ts';
import type { StoreWrite } from './store-engine.ts';

function writeBytes(write: StoreWrite): number {
  return write.key.length + (write.value === null ? 0 : write.value.length);
}

/**
 * The pending writes of one store in one transaction: the last put (value) or delete (null) per
 * key. Write objects are never mutated, only replaced, so the undo journal can hold on to them.
 */
export class WriteBuffer {
  private readonly writes = new Map<string, StoreWrite>();
  // Built on the first range lookup of a transaction, then kept up to date; stores that are
  // never scanned never pay for ordering.
  private sortedKeys: SortedKeyList | undefined;
  private byteCount = 0;

  get size(): number {
    return this.writes.size;
  }

  /** Bytes of keys and values held (not counting the map's own overhead). */
  get bytes(): number {
    return this.byteCount;
  }

  lookup(mapKey: string): StoreWrite | undefined {
    return this.writes.get(mapKey);
  }

  /** Stores a write and returns the one it replaces. */
  set(mapKey: string, write: StoreWrite): StoreWrite | undefined {
    const previous = this.writes.get(mapKey);
    this.writes.set(mapKey, write);
    if (previous === undefined) this.sortedKeys?.insert(mapKey);
    else this.byteCount -= writeBytes(previous);
    this.byteCount += writeBytes(write);
    return previous;
  }

  /** Forgets the key entirely (as if never written), used to undo a record's first write to it. */
  remove(mapKey: string): void {
    const previous = this.writes.get(mapKey);
    if (previous === undefined) return;
    this.writes.delete(mapKey);
    this.sortedKeys?.delete(mapKey);
    this.byteCount -= writeBytes(previous);
  }

  clear(): void {
    this.writes.clear();
    this.sortedKeys = undefined;
    this.byteCount = 0;
  }

  values(): IterableIterator<StoreWrite> {
    return this.writes.values();
  }

  /** The writes with gte <= key < lt in key order, copied so later writes do not affect a scan. */
  range(gte: Buffer | undefined, lt: Buffer | undefined, reverse: boolean): StoreWrite[] {
    if (this.writes.size === 0) return [];
    this.sortedKeys ??= SortedKeyList.from(this.writes.keys());
    const keys = this.sortedKeys.range(
      gte === undefined ? undefined : keyText(gte),
      lt === undefined ? undefined : keyText(lt),
      reverse,
    );
    return keys.map((mapKey) => this.writes.get(mapKey) as StoreWrite);
  }
}
