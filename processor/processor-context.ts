import type { KeyValueStore, TtlKeyValueStore, WindowedStore } from '../state/index.ts';
import { TopologyError } from './errors.ts';
import type { Headers } from './records.ts';
import type {
  Cancellable,
  ProcessorContext,
  PunctuationType,
  RecordOrigin,
  StreamRecord,
} from './processor-api.ts';

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
  readonly #stores: ReadonlySet<string>;
  readonly #children: readonly string[];
  // The records forwarded by the current process() call and the child each is for (undefined: all),
  // dispatched by the task when process() returns. Slots are reused through `forwardedCount`:
  // emptying the arrays would release their storage and make every record allocate it again.
  readonly forwardedRecords: Array<StreamRecord<unknown, unknown> | undefined> = [];
  readonly forwardedChildren: Array<string | undefined> = [];
  forwardedCount = 0;

  constructor(task: TaskView, processor: string, stores: readonly string[], children: readonly string[]) {
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

  #checkStore(name: string): void {
    if (!this.#stores.has(name)) {
      throw new TopologyError(`processor '${this.#processor}' did not declare store '${name}'`);
    }
  }

  keyValueStore<K, V>(name: string): KeyValueStore<K, V> {
    this.#checkStore(name);
    return this.#task.keyValueStore<K, V>(name);
  }

  ttlKeyValueStore<K, V>(name: string): TtlKeyValueStore<K, V> {
    this.#checkStore(name);
    return this.#task.ttlKeyValueStore<K, V>(name);
  }

  windowedStore<K, V>(name: string): WindowedStore<K, V> {
    this.#checkStore(name);
    return this.#task.windowedStore<K, V>(name);
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
