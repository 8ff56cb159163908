import type { KeyValueStore, TtlKeyValueStore, WindowedStore } from '../state/index.ts';
import type { Headers } from './records.ts';
import type { KeyValueStoreRef, TtlKeyValueStoreRef, WindowedStoreRef } from './store-refs.ts';

/**
 * What a processor is and what it is given: the records it processes, its context (stores,
 * forwarding, punctuation), the life cycle the task calls. A topology (processor/topology.ts)
 * wires processors together; a task (processor/task.ts) runs them.
 */
export interface StreamRecord<K, V> {
  key: K | null;
  value: V | null;
  /** Event time in ms, from the record (or set by the processor that forwards it). */
  timestamp: number;
  headers: Headers;
}

export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

export type PunctuationType = 'stream-time' | 'wall-clock';

export interface Cancellable {
  cancel(): void;
}

export interface ProcessorContext<KOut = unknown, VOut = unknown> {
  readonly applicationId: string;
  readonly taskId: string;
  readonly partition: number;
  /** The input record being processed; undefined inside a punctuation. */
  readonly origin: RecordOrigin | undefined;
  /** The largest record timestamp this task has seen. */
  readonly streamTime: number;
  /** Wall-clock time from the app's injected clock. */
  now(): number;
  /**
   * A store this processor listed in its `stores`, through the ref it was declared with, typed by
   * it. Cheap, but not free: fetch stores in `init` and keep them.
   */
  store<K, V>(ref: KeyValueStoreRef<K, V>): KeyValueStore<K, V>;
  store<K, V>(ref: TtlKeyValueStoreRef<K, V>): TtlKeyValueStore<K, V>;
  store<K, V>(ref: WindowedStoreRef<K, V>): WindowedStore<K, V>;
  /** Sends a record to this processor's children (or to one of them, by name). */
  forward(
    record: { key: KOut | null; value: VOut | null; timestamp?: number; headers?: Headers },
    child?: string,
  ): void;
  schedule(
    intervalMs: number,
    type: PunctuationType,
    callback: (timestamp: number) => void | Promise<void>,
  ): Cancellable;
}

export interface Processor<KIn = unknown, VIn = unknown, KOut = unknown, VOut = unknown> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>, context: ProcessorContext<KOut, VOut>): void | Promise<void>;
  close?(): void;
}
