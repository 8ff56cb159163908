import { StoreArgumentError, StoreSerdeError } from './errors.ts';
import type { StoreCodec } from './store-codec.ts';
import type { StoreTransaction } from './task-transaction.ts';
import { isWindowTime, parseWindowKey, windowKey, windowStartOf } from './window-key.ts';

/**
 * A time-bucketed store (velocity and sliding windows): one value per key and window start.
 * Windows older than the observed stream time minus the retention are expired: get() and
 * fetch() no longer see them and expire() deletes them.
 */
export interface WindowedStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  /** The highest stream time seen by this store of this task; -Infinity before the first. */
  readonly observedStreamTimeMs: number;
  /** Stores the value; returns false, storing nothing, when the window has already expired. */
  put(key: K, windowStartMs: number, value: V): boolean;
  get(key: K, windowStartMs: number): V | undefined;
  delete(key: K, windowStartMs: number): void;
  /** The key's live windows with fromMs <= start <= toMs, in ascending time. */
  fetch(key: K, fromMs: number, toMs: number): AsyncIterable<[number, V]>;
  /** Advances stream time (never moves it back), e.g. from the task's stream time after a restart. */
  observeStreamTime(streamTimeMs: number): void;
  /**
   * Advances stream time and deletes every expired window, through the transaction, so the
   * changelog gets tombstones and a restore does not bring expired windows back. Reads the
   * whole store: call it from a punctuator, at an interval of a fraction of the retention.
   * Returns the number of windows deleted.
   */
  expire(streamTimeMs: number): Promise<number>;
}

/** Stream time observed by one windowed store, shared by every handle on the store. */
export class ObservedStreamTime {
  ms = -Infinity;
}

export class TransactionalWindowedStore<K, V> implements WindowedStore<K, V> {
  readonly name: string;
  readonly retentionMs: number;
  private readonly store: StoreTransaction;
  private readonly codec: StoreCodec<K, V>;
  private readonly streamTime: ObservedStreamTime;
  private readonly taskId: string;

  constructor(
    store: StoreTransaction,
    codec: StoreCodec<K, V>,
    options: { retentionMs: number; streamTime: ObservedStreamTime; taskId: string },
  ) {
    this.name = store.storeName;
    this.store = store;
    this.codec = codec;
    this.retentionMs = options.retentionMs;
    this.streamTime = options.streamTime;
    this.taskId = options.taskId;
  }

  get observedStreamTimeMs(): number {
    return this.streamTime.ms;
  }

  put(key: K, windowStartMs: number, value: V): boolean {
    this.requireWindowTime('put', windowStartMs);
    const composite = windowKey(this.codec.encodeKey(key), windowStartMs);
    const bytes = this.codec.encodeValue(value);
    this.observeStreamTime(windowStartMs);
    if (windowStartMs < this.expiryCutoff()) return false;
    this.store.put(composite, bytes);
    return true;
  }

  get(key: K, windowStartMs: number): V | undefined {
    this.requireWindowTime('get', windowStartMs);
    if (windowStartMs < this.expiryCutoff()) return undefined;
    const bytes = this.store.get(windowKey(this.codec.encodeKey(key), windowStartMs));
    return bytes === undefined ? undefined : this.codec.decodeValue(bytes);
  }

  delete(key: K, windowStartMs: number): void {
    this.requireWindowTime('delete', windowStartMs);
    this.store.delete(windowKey(this.codec.encodeKey(key), windowStartMs));
  }

  fetch(key: K, fromMs: number, toMs: number): AsyncIterable<[number, V]> {
    for (const [what, ms] of [
      ['fromMs', fromMs],
      ['toMs', toMs],
    ] as const) {
      if (!Number.isSafeInteger(ms)) {
        throw this.argumentError(`fetch() ${what} ${ms} is not a whole number of ms`);
      }
    }
    const keyBytes = this.codec.encodeKey(key);
    return this.fetchWindows(keyBytes, Math.max(fromMs, 0, this.expiryCutoff()), toMs);
  }

  observeStreamTime(streamTimeMs: number): void {
    if (!Number.isSafeInteger(streamTimeMs)) {
      throw this.argumentError(`stream time ${streamTimeMs} is not a whole number of ms`);
    }
    const previous = this.streamTime.ms;
    if (streamTimeMs <= previous) return;
    this.streamTime.ms = streamTimeMs;
    // A record that fails after advancing stream time must not leave windows expired early.
    this.store.onRecordRollback(() => {
      this.streamTime.ms = previous;
    });
  }

  async expire(streamTimeMs: number): Promise<number> {
    this.observeStreamTime(streamTimeMs);
    const cutoff = this.expiryCutoff();
    if (cutoff <= 0) return 0;
    let deleted = 0;
    for await (const [composite] of this.store.iterate()) {
      const parsed = parseWindowKey(composite);
      if (parsed === undefined) {
        throw new StoreSerdeError(`key ${composite.toString('hex')} is not a window key`, this.context);
      }
      if (parsed.windowStartMs < cutoff) {
        this.store.delete(composite);
        deleted += 1;
      }
    }
    return deleted;
  }

  private async *fetchWindows(keyBytes: Buffer, fromMs: number, toMs: number): AsyncGenerator<[number, V]> {
    if (fromMs > toMs) return;
    const range = { gte: windowKey(keyBytes, fromMs), lt: windowKey(keyBytes, toMs + 1) };
    for await (const [composite, value] of this.store.iterate(range)) {
      yield [windowStartOf(composite), this.codec.decodeValue(value)];
    }
  }

  /** Windows starting before this are expired. */
  private expiryCutoff(): number {
    return this.streamTime.ms - this.retentionMs;
  }

  private requireWindowTime(operation: string, windowStartMs: number): void {
    if (!isWindowTime(windowStartMs)) {
      throw this.argumentError(
        `${operation}() window start ${windowStartMs} is not a whole, non-negative number of ms`,
      );
    }
  }

  private argumentError(message: string): StoreArgumentError {
    return new StoreArgumentError(message, this.context);
  }

  private get context(): { storeName: string; taskId: string } {
    return { storeName: this.name, taskId: this.taskId };
  }
}
