// Typed errors of the state layer. Each carries the store and task it concerns and says whether
// retrying the same operation can help (`retriable`), in the manner of kafkajs' errors.

export interface StoreErrorContext {
  readonly storeName: string;
  readonly taskId: string;
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class StoreError extends Error {
  readonly storeName: string;
  readonly taskId: string;
  readonly retriable: boolean;

  constructor(message: string, context: StoreErrorContext) {
    super(`${message} [task ${context.taskId}, store ${context.storeName}]`, { cause: context.cause });
    this.name = new.target.name;
    this.storeName = context.storeName;
    this.taskId = context.taskId;
    this.retriable = context.retriable ?? false;
  }
}

/** The LevelDB database could not be opened. Retriable when another instance still holds its lock. */
export class StoreOpenError extends StoreError {
  readonly path: string;

  constructor(message: string, context: StoreErrorContext & { readonly path: string }) {
    super(`${message} at ${context.path}`, context);
    this.path = context.path;
  }
}

/** An operation was called on a store engine that is not open. */
export class StoreClosedError extends StoreError {
  readonly operation: string;

  constructor(operation: string, context: StoreErrorContext) {
    super(`${operation}() called on a closed store`, context);
    this.operation = operation;
  }
}

/** LevelDB failed to read, write or iterate. */
export class StoreIoError extends StoreError {
  readonly path: string;
  readonly operation: string;

  constructor(operation: string, context: StoreErrorContext & { readonly path: string }) {
    super(`${operation} failed at ${context.path}`, context);
    this.path = context.path;
    this.operation = operation;
  }
}

/** Local state is unreadable or of an unknown layout: wipe the store and restore from the changelog. */
export class StoreCorruptionError extends StoreError {
  readonly path: string;

  constructor(message: string, context: StoreErrorContext & { readonly path: string }) {
    super(`${message} at ${context.path}`, context);
    this.path = context.path;
  }
}

/** A write batch or wipe was started while another write batch of the same store was in flight. */
export class StoreBusyError extends StoreError {}

/** A new checkpoint would move the store's checkpoint backwards. */
export class CheckpointRegressionError extends StoreError {
  readonly current: bigint;
  readonly proposed: bigint;

  constructor(current: bigint, proposed: bigint, context: StoreErrorContext) {
    super(`checkpoint would move back from ${current} to ${proposed}`, context);
    this.current = current;
    this.proposed = proposed;
  }
}

/** A caller passed an argument the store cannot accept (bad name, window time, offset order...). */
export class StoreArgumentError extends StoreError {}

/**
 * A processor wrote to a store it may only read: the store of a table source, which only its input
 * topic changes (a write would be lost at the next restore, which reads that topic).
 */
export class ReadOnlyStoreError extends StoreError {
  readonly operation: string;

  constructor(operation: string, context: StoreErrorContext) {
    super(
      `${operation}() on a read-only store (a table source's store changes only through its topic)`,
      context,
    );
    this.operation = operation;
  }
}

/** No store of that name (or of that kind) is defined for the task. */
export class UnknownStoreError extends StoreError {}

/** A key or value of a store could not be serialized or deserialized. */
export class StoreSerdeError extends StoreError {}

/** A transaction method was called in a status that does not allow it. */
export class TransactionStateError extends StoreError {
  readonly operation: string;
  readonly status: string;

  constructor(operation: string, status: string, detail: string, context: StoreErrorContext) {
    super(`${operation}() not allowed in transaction status '${status}': ${detail}`, context);
    this.operation = operation;
    this.status = status;
  }
}

/** Applying a committed transaction to LevelDB failed; the transaction is now 'failed'. */
export class TransactionFlushError extends StoreError {
  readonly failedStores: readonly string[];

  constructor(failedStores: readonly string[], context: StoreErrorContext) {
    super(
      `flush failed for store(s) ${failedStores.join(', ')}; close the state manager and restore from the checkpoints`,
      context,
    );
    this.failedStores = failedStores;
  }
}

/** A serde was given a value it cannot encode or bytes it cannot decode. Never retriable. */
export class SerdeError extends Error {
  readonly serdeName: string;
  readonly retriable = false;

  constructor(serdeName: string, message: string, cause?: unknown) {
    super(`${serdeName}: ${message}`, { cause });
    this.name = new.target.name;
    this.serdeName = serdeName;
  }
}
