import type { KeyValueStore, TtlKeyValueStore, WindowedStore } from '../state/index.ts';
import type { Clock } from './clock.ts';
import { TopologyError, UndeclaredStoreError } from './errors.ts';
import type { ForwardQueue } from './forward-queue.ts';
import type { Cancellable, ProcessorContext, PunctuationType, RecordOrigin } from './processor-api.ts';
import type { Punctuator, PunctuationQueue } from './punctuation-queue.ts';
import type { RecordScope } from './record-scope.ts';
import type { Headers } from './records.ts';
import type { StoreHandles } from './store-handles.ts';
import type { KeyValueStoreRef, StoreRef, TtlKeyValueStoreRef, WindowedStoreRef } from './store-refs.ts';

/** The parts of its task a processor context reaches, the same for every processor of the task. */
export interface TaskContextParts {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  /** What is being processed: the record's origin, the current timestamp. */
  readonly scope: RecordScope;
  /** The task's stream time (TaskInputs). */
  readonly time: { readonly streamTime: number };
  readonly clock: Clock;
  readonly handles: StoreHandles;
  readonly punctuations: PunctuationQueue;
}

/**
 * The context of one processor in one task. Forwarded records are queued and dispatched by the
 * processor graph after `process` returns, so that processors need not await their children.
 */
export class TaskProcessorContext implements ProcessorContext {
  readonly #parts: TaskContextParts;
  readonly #scope: RecordScope;
  readonly #handles: StoreHandles;
  readonly #processor: string;
  // The refs its processor listed (the topology checked they are its own): identity, not names.
  readonly #stores: ReadonlySet<StoreRef>;
  readonly #children: readonly string[];
  readonly #forwarded: ForwardQueue;

  constructor(
    parts: TaskContextParts,
    processor: string,
    stores: readonly StoreRef[],
    children: readonly string[],
    forwarded: ForwardQueue,
  ) {
    this.#parts = parts;
    this.#scope = parts.scope;
    this.#handles = parts.handles;
    this.#processor = processor;
    this.#stores = new Set(stores);
    this.#children = children;
    this.#forwarded = forwarded;
  }

  get applicationId(): string {
    return this.#parts.applicationId;
  }
  get taskId(): string {
    return this.#parts.taskId;
  }
  get partition(): number {
    return this.#parts.partition;
  }
  get origin(): RecordOrigin | undefined {
    return this.#scope.origin;
  }
  get streamTime(): number {
    return this.#parts.time.streamTime;
  }
  now(): number {
    return this.#parts.clock.now();
  }

  store<K, V>(ref: KeyValueStoreRef<K, V>): KeyValueStore<K, V>;
  store<K, V>(ref: TtlKeyValueStoreRef<K, V>): TtlKeyValueStore<K, V>;
  store<K, V>(ref: WindowedStoreRef<K, V>): WindowedStore<K, V>;
  store<K, V>(ref: StoreRef<K, V>): KeyValueStore<K, V> | TtlKeyValueStore<K, V> | WindowedStore<K, V> {
    if (!this.#stores.has(ref)) throw this.#undeclared(ref);
    // The one cast to K, V is the store handles' (keyValueStore<K, V>(name)), and sound: the check above
    // makes this ref the very declaration the task opened the store from.
    switch (ref.kind) {
      case 'key-value':
        return this.#handles.keyValueStore<K, V>(ref.name);
      case 'ttl-key-value':
        return this.#handles.ttlKeyValueStore<K, V>(ref.name);
      case 'windowed':
        return this.#handles.windowedStore<K, V>(ref.name);
    }
  }

  #undeclared(ref: StoreRef): UndeclaredStoreError {
    const sameName = [...this.#stores].some((listed) => listed.name === ref.name);
    return new UndeclaredStoreError(this.#processor, ref.name, sameName ? 'foreign-ref' : 'not-listed');
  }

  forward(
    record: { key: unknown; value: unknown; timestamp?: number; headers?: Headers },
    child?: string,
  ): void {
    if (child !== undefined && !this.#children.includes(child)) {
      throw new TopologyError(`processor '${this.#processor}' has no child '${child}'`);
    }
    this.#forwarded.push(
      {
        key: record.key ?? null,
        value: record.value ?? null,
        timestamp: record.timestamp ?? this.#scope.timestamp,
        headers: record.headers ?? {},
      },
      child,
    );
  }

  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestamp: number) => void | Promise<void>,
  ): Cancellable {
    if (!(intervalMs >= 1))
      throw new TopologyError(`punctuation interval must be at least 1 ms (got ${intervalMs})`);
    // Stream time is unknown until the task's first record: the first deadline is set then.
    const start = type === 'wall-clock' ? this.now() : this.streamTime < 0 ? Number.NaN : this.streamTime;
    const punctuator: Punctuator = {
      processor: this.#processor,
      type,
      intervalMs,
      next: start + intervalMs,
      callback,
      cancelled: false,
    };
    this.#parts.punctuations.add(punctuator);
    return {
      cancel: () => {
        punctuator.cancelled = true;
      },
    };
  }
}
