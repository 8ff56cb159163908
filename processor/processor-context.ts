import type { KeyValueStore, TtlKeyValueStore, WindowedStore } from '../state/index.ts';
import { TopologyError, UndeclaredStoreError } from './errors.ts';
import type { Headers } from './records.ts';
import type {
  Cancellable,
  ProcessorContext,
  PunctuationType,
  RecordOrigin,
  StreamRecord,
} from './processor-api.ts';
import type { KeyValueStoreRef, StoreRef, TtlKeyValueStoreRef, WindowedStoreRef } from './store-refs.ts';

export interface Punctuator {
  processor: string;
  type: PunctuationType;
  intervalMs: number;
  next: number;
  callback: (timestamp: number) => void | Promise<void>;
  cancelled: boolean;
}

/** What a processor context needs from its task. */
export interface TaskView {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  readonly origin: RecordOrigin | undefined;
  readonly streamTime: number;
  readonly currentTimestamp: number;
  now(): number;
  keyValueStore<K, V>(name: string): KeyValueStore<K, V>;
  ttlKeyValueStore<K, V>(name: string): TtlKeyValueStore<K, V>;
  windowedStore<K, V>(name: string): WindowedStore<K, V>;
  addPunctuator(p: Punctuator): void;
}

/**
 * The context of one processor in one task. Forwarded records are queued and dispatched by the task
 * after `process` returns, so that processors need not await their children.
 */
export class TaskProcessorContext implements ProcessorContext {
  readonly #task: TaskView;
  readonly #processor: string;
  // The refs its processor listed (the topology checked they are its own): identity, not names.
  readonly #stores: ReadonlySet<StoreRef>;
  readonly #children: readonly string[];
  // The records forwarded by the current process() call and the child each is for (undefined: all),
  // dispatched by the task when process() returns. Slots are reused through `forwardedCount`:
  // emptying the arrays would release their storage and make every record allocate it again.
  readonly forwardedRecords: Array<StreamRecord<unknown, unknown> | undefined> = [];
  readonly forwardedChildren: Array<string | undefined> = [];
  forwardedCount = 0;

  constructor(task: TaskView, processor: string, stores: readonly StoreRef[], children: readonly string[]) {
    this.#task = task;
    this.#processor = processor;
    this.#stores = new Set(stores);
    this.#children = children;
  }

  get applicationId(): string {
    return this.#task.applicationId;
  }
  get taskId(): string {
    return this.#task.taskId;
  }
  get partition(): number {
    return this.#task.partition;
  }
  get origin(): RecordOrigin | undefined {
    return this.#task.origin;
  }
  get streamTime(): number {
    return this.#task.streamTime;
  }
  now(): number {
    return this.#task.now();
  }

  store<K, V>(ref: KeyValueStoreRef<K, V>): KeyValueStore<K, V>;
  store<K, V>(ref: TtlKeyValueStoreRef<K, V>): TtlKeyValueStore<K, V>;
  store<K, V>(ref: WindowedStoreRef<K, V>): WindowedStore<K, V>;
  store<K, V>(ref: StoreRef<K, V>): KeyValueStore<K, V> | TtlKeyValueStore<K, V> | WindowedStore<K, V> {
    if (!this.#stores.has(ref)) throw this.#undeclared(ref);
    // The one cast to K, V is the task's (keyValueStore<K, V>(name)), and sound: the check above
    // makes this ref the very declaration the task opened the store from.
    switch (ref.kind) {
      case 'key-value':
        return this.#task.keyValueStore<K, V>(ref.name);
      case 'ttl-key-value':
        return this.#task.ttlKeyValueStore<K, V>(ref.name);
      case 'windowed':
        return this.#task.windowedStore<K, V>(ref.name);
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
    const index = this.forwardedCount++;
    this.forwardedRecords[index] = {
      key: record.key ?? null,
      value: record.value ?? null,
      timestamp: record.timestamp ?? this.#task.currentTimestamp,
      headers: record.headers ?? {},
    };
    this.forwardedChildren[index] = child;
  }

  /** Forgets what was forwarded (dispatched, or dropped because the record failed). */
  clearForwarded(): void {
    for (let index = 0; index < this.forwardedCount; index++) {
      this.forwardedRecords[index] = undefined;
      this.forwardedChildren[index] = undefined;
    }
    this.forwardedCount = 0;
  }

  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestamp: number) => void | Promise<void>,
  ): Cancellable {
    if (!(intervalMs >= 1))
      throw new TopologyError(`punctuation interval must be at least 1 ms (got ${intervalMs})`);
    // Stream time is unknown until the task's first record: the first deadline is set then.
    const start =
      type === 'wall-clock'
        ? this.#task.now()
        : this.#task.streamTime < 0
          ? Number.NaN
          : this.#task.streamTime;
    const punctuator: Punctuator = {
      processor: this.#processor,
      type,
      intervalMs,
      next: start + intervalMs,
      callback,
      cancelled: false,
    };
    this.#task.addPunctuator(punctuator);
    return {
      cancel: () => {
        punctuator.cancelled = true;
      },
    };
  }
}
