/**
 * Typed errors of the engine. Like kafkajs' errors, each says whether retrying can help, and carries
 * the context an operator needs (task, topic, partition, offset).
 */
export interface ErrorContext {
  taskId?: string;
  topic?: string;
  partition?: number;
  offset?: number;
  store?: string;
}

export class SaldoError extends Error {
  readonly retriable: boolean;
  readonly context: ErrorContext;
  constructor(message: string, opts: { retriable?: boolean; context?: ErrorContext; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.retriable = opts.retriable ?? false;
    this.context = opts.context ?? {};
  }
}

/** Start-up configuration is invalid; the message lists every problem. */
export class ConfigError extends SaldoError {}

/** The topology is malformed: unknown parents, stores without a processor, duplicate names. */
export class TopologyError extends SaldoError {}

/**
 * A processor names or reads a store it may not: one the topology does not have (`unknown-store`),
 * one it did not list in its `stores` (`not-listed`), or one through a ref the topology was not
 * given, declared elsewhere under the same name (`foreign-ref`, a ref of another topology).
 */
export class UndeclaredStoreError extends TopologyError {
  readonly processor: string;
  readonly store: string;
  readonly reason: 'unknown-store' | 'not-listed' | 'foreign-ref';
  constructor(processor: string, store: string, reason: UndeclaredStoreError['reason']) {
    const problem =
      reason === 'unknown-store'
        ? `names unknown store '${store}'`
        : reason === 'not-listed'
          ? `did not declare store '${store}' (list its ref in the processor's stores)`
          : `names store '${store}' through a ref this topology was not given (a ref of another topology?)`;
    super(`processor '${processor}' ${problem}`, { context: { store } });
    this.processor = processor;
    this.store = store;
    this.reason = reason;
  }
}

/** Co-partitioned inputs (and existing changelogs) must share one partition count. */
export class PartitionCountMismatchError extends SaldoError {
  readonly counts: Record<string, number>;
  constructor(counts: Record<string, number>) {
    super(
      `co-partitioned topics must have the same number of partitions: ${Object.entries(counts)
        .map(([t, n]) => `${t}=${n}`)
        .join(', ')}`,
    );
    this.counts = counts;
  }
}

/** Topics the topology needs do not exist; an operator creates them (`saldo topics create`). */
export class MissingTopicsError extends SaldoError {
  readonly topics: string[];
  constructor(role: 'input' | 'output', topics: string[], hint: string) {
    super(`${role} topics do not exist: ${topics.join(', ')}; ${hint}`);
    this.topics = topics;
  }
}

/**
 * An internal topic exists without a config the engine needs and could not be given it (no
 * permission to alter topic configs, say).
 */
export class InternalTopicConfigError extends SaldoError {
  constructor(topic: string, config: string, value: string, hint: string, cause: unknown) {
    super(
      `cannot set ${config}=${value} on ${topic}: ${(cause as Error)?.message ?? String(cause)}; ${hint}`,
      { context: { topic }, cause },
    );
  }
}

/** A task moved to an illegal life-cycle state: a bug, never retried. */
export class IllegalTaskTransitionError extends SaldoError {}

/** Another instance took over this task's transactional id: this instance is a zombie for it. */
export class TaskFencedError extends SaldoError {
  constructor(taskId: string, cause?: unknown) {
    super(`task ${taskId} was fenced by a newer producer; its uncommitted work is discarded`, {
      retriable: false,
      context: { taskId },
      cause,
    });
  }
}

/** Committing a task's transaction failed; the task is closed dirty and re-initialised. */
export class TaskCommitError extends SaldoError {}

/** A record could not be deserialized by its source serde. Goes to the dead-letter topic. */
export class DeserializationError extends SaldoError {}

/** A processor threw while processing a record. Goes to the dead-letter topic. */
export class ProcessingError extends SaldoError {}

/**
 * A processor refuses an input record that breaks a rule of its domain (a non-positive amount, an
 * unknown type): not a bug, and never retried. The record goes to the dead-letter topic with
 * reason `invalid` and this code, which operators and `saldo dlq` read.
 */
export class RejectedRecordError extends SaldoError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message, { retriable: false });
    this.code = code;
  }
}

/** Restoring a task's stores from their changelogs failed or was interrupted. */
export class RestoreError extends SaldoError {}

// Error messages can quote input; a card number (PAN) must never leave in clear, in logs or dead letters.
const PAN = /\b(\d{6})\d{3,9}(\d{4})\b/g;
export function redactSensitive(text: string): string {
  return text.replace(PAN, '$1******$2').slice(0, 1000);
}

/** An error's class and message, redacted and bounded: what saldo logs and writes to dead letters. */
export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: redactSensitive(error.message) };
  return { name: 'NonError', message: redactSensitive(String(error)) };
}

/** An operator's probe could not join the application's group (saldo rebalance, probing rebalances). */
export class RebalanceProbeError extends SaldoError {
  readonly groupId: string;
  constructor(message: string, context: { groupId: string }, opts: { cause?: unknown } = {}) {
    super(message, { retriable: true, ...(opts.cause === undefined ? {} : { cause: opts.cause }) });
    this.groupId = context.groupId;
  }
}

/** The services saldo connects to, as messages name them. */
export type ConnectedService = 'kafka' | 'redis' | 'schema registry';
export type AccessFailureKind = 'authentication' | 'tls' | 'protocol';

/**
 * A service refused saldo's credentials (`authentication`), its TLS connection failed on the
 * certificate (`tls`), or it closed every connection at once (`protocol`: TLS on one side only,
 * SASL on one side only): no retry can mend these, so saldo stops at once with this one message
 * (which service, which user, where). Never carries a secret.
 */
export class ServiceAccessError extends SaldoError {
  readonly service: ConnectedService;
  readonly kind: AccessFailureKind;
  readonly user: string | undefined;
  readonly endpoint: string;
  constructor(
    access: { service: ConnectedService; kind: AccessFailureKind; user?: string; endpoint: string },
    detail: string,
    hint: string,
    cause?: unknown,
  ) {
    const what =
      access.kind === 'authentication'
        ? `authentication failed for user '${access.user ?? '(none)'}' at ${access.endpoint}`
        : access.kind === 'tls'
          ? `TLS connection to ${access.endpoint} failed`
          : `${access.endpoint} closes every connection at once`;
    super(`${access.service}: ${what}: ${redactSensitive(detail)}; ${hint}`, {
      retriable: false,
      ...(cause === undefined ? {} : { cause }),
    });
    this.service = access.service;
    this.kind = access.kind;
    this.user = access.user;
    this.endpoint = access.endpoint;
  }
}
