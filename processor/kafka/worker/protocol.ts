import type { AssignmentInfo, OperatorInfo, SubscriptionInfo } from '../../assignment/assignment-info.ts';
import {
  RestoreError,
  SaldoError,
  TaskCommitError,
  TaskFencedError,
  type ErrorContext,
} from '../../errors.ts';
import type { GroupConsumerOptions, ProducedOffsets } from '../client.ts';
import type { PackedRecords } from './record-codec.ts';
import type { KafkaSecurity } from '../security.ts';

/** Messages between the engine thread (main) and the Kafka client thread (worker). */

export interface ThreadOptions {
  clientId: string;
  brokers: string[];
  security?: KafkaSecurity;
  groupPrefix: string;
  logLevel: string;
  logBindings: Record<string, unknown>;
}

export type GroupSettings = Omit<
  GroupConsumerOptions,
  'subscription' | 'onBatch' | 'onCrash' | 'onAssignment'
>;

/** A commit unit's answer to a commit: the offsets produced, and the partition counts it knows. */
export interface CommittedBatches {
  produced: ProducedOffsets;
  partitionCounts: Array<[string, number]>;
}

/** An error as it crosses threads: enough to rebuild the engine's typed errors on the other side. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  retriable: boolean;
  context: ErrorContext;
  cause?: WireError;
}

export type ToWorker =
  | { kind: 'call'; id: number; target: string; method: string; args: unknown[] }
  | { kind: 'batch-done'; batchId: number; error?: WireError }
  | { kind: 'resolve'; batchId: number; offset: number }
  | { kind: 'subscription'; info: SubscriptionInfo | OperatorInfo }
  | { kind: 'rejoin' }
  | { kind: 'chunk-done'; readId: number; error?: WireError };

export type FromWorker =
  | { kind: 'reply'; id: number; value?: unknown; error?: WireError }
  | {
      kind: 'assignment';
      partitions: number[];
      memberId: string;
      info: AssignmentInfo;
      generation: number;
      joinMs?: number;
    }
  | { kind: 'crash'; error: WireError; willRestart: boolean }
  | {
      kind: 'batch';
      batchId: number;
      topic: string;
      partition: number;
      fetchedOffset: number;
      lastOffset?: number;
      highWatermark?: number;
      records: PackedRecords;
    }
  | { kind: 'stale'; batchId: number }
  | { kind: 'chunk'; readId: number; records: PackedRecords };

export function toWire(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) {
    return { name: 'NonError', message: String(error), retriable: false, context: {} };
  }
  const saldo = error instanceof SaldoError ? error : undefined;
  const wire: WireError = {
    name: error.name,
    message: error.message,
    retriable: saldo?.retriable ?? (error as { retriable?: boolean }).retriable === true,
    context: saldo?.context ?? {},
  };
  if (error.stack !== undefined) wire.stack = error.stack;
  if (error.cause !== undefined && depth < 3) wire.cause = toWire(error.cause, depth + 1);
  return wire;
}

/** Rebuilds the engine's typed errors (the task manager tells fencing from failure by class). */
export function fromWire(wire: WireError): Error {
  const cause = wire.cause ? fromWire(wire.cause) : undefined;
  let error: Error;
  switch (wire.name) {
    case 'TaskFencedError':
      error = new TaskFencedError(wire.context.taskId ?? 'unknown', cause);
      break;
    case 'TaskCommitError':
      error = new TaskCommitError(wire.message, { retriable: wire.retriable, context: wire.context, cause });
      break;
    case 'RestoreError':
      error = new RestoreError(wire.message, { retriable: wire.retriable, context: wire.context, cause });
      break;
    default: {
      error = new SaldoError(wire.message, { retriable: wire.retriable, context: wire.context, cause });
      error.name = wire.name;
    }
  }
  error.message = wire.message;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
