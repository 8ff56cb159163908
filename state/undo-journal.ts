import type { StoreWrite } from './store-engine.ts';
import type { WriteBuffer } from './write-buffer.ts';

/**
 * How to undo the current record: for each of its writes, the key's previous buffered write (or
 * none: forget the key), and callbacks registered by stores for their own in-memory state.
 * Entries are kept flat, three slots each (buffer, map key, previous write; or callback and two
 * empty slots), in one array reused from record to record: a journal object per write and an
 * array per record would be allocated for every record processed.
 */
export class UndoJournal {
  #slots: Array<WriteBuffer | string | StoreWrite | (() => void) | undefined> = [];
  #length = 0;

  recordWrite(buffer: WriteBuffer, mapKey: string, previous: StoreWrite | undefined): void {
    const slots = this.#slots;
    const at = this.#length;
    slots[at] = buffer;
    slots[at + 1] = mapKey;
    slots[at + 2] = previous;
    this.#length = at + 3;
  }

  recordCallback(undo: () => void): void {
    const slots = this.#slots;
    const at = this.#length;
    slots[at] = undo;
    slots[at + 1] = undefined;
    slots[at + 2] = undefined;
    this.#length = at + 3;
  }

  /** Undoes every entry, newest first, and empties the journal. */
  undo(): void {
    const slots = this.#slots;
    for (let at = this.#length - 3; at >= 0; at -= 3) {
      const first = slots[at];
      if (typeof first === 'function') {
        first();
        continue;
      }
      const buffer = first as WriteBuffer;
      const mapKey = slots[at + 1] as string;
      const previous = slots[at + 2] as StoreWrite | undefined;
      if (previous === undefined) buffer.remove(mapKey);
      else buffer.set(mapKey, previous);
    }
    this.clear();
  }

  /** Empties the journal, dropping its references so that they do not outlive the record. */
  clear(): void {
    // A loop: a record's few slots cost less than a call to fill().
    const slots = this.#slots;
    for (let at = 0; at < this.#length; at++) slots[at] = undefined;
    this.#length = 0;
  }
}
