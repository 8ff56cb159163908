import { RejectedRecordError, describeError } from './errors.ts';
import type { ConsumedRecord, OutgoingRecord } from './records.ts';
import { deadLetterTopicFor } from './internal-topics.ts';

/**
 * Why a record became a dead letter: its bytes could not be decoded, a processor refused it
 * (RejectedRecordError: it breaks a rule, and the dead letter carries the rule's code), or a
 * processor failed on it.
 */
export type DeadLetterReason = 'deserialization' | 'invalid' | 'processing';

/** The reason for a record whose processing threw `error`. */
export function processingFailureReason(error: unknown): DeadLetterReason {
  return error instanceof RejectedRecordError ? 'invalid' : 'processing';
}

/** Header names on dead letters; downstream tools (`saldo dlq`) read them. */
export const DLQ_HEADERS = {
  reason: 'saldo.dlq.reason',
  errorClass: 'saldo.dlq.error.class',
  errorMessage: 'saldo.dlq.error.message',
  /** Only for reason `invalid`: the rule the record breaks (RejectedRecordError.code). */
  errorCode: 'saldo.dlq.error.code',
  topic: 'saldo.dlq.source.topic',
  partition: 'saldo.dlq.source.partition',
  offset: 'saldo.dlq.source.offset',
  timestamp: 'saldo.dlq.source.timestamp',
  taskId: 'saldo.dlq.task',
  appVersion: 'saldo.dlq.app.version',
} as const;

/**
 * The dead letter for a record that could not be decoded or processed: the original key, value and
 * headers, plus the reason and the record's origin. It keeps the source partition number so that
 * dead letters of one task stay in order and stay in that task's transaction.
 */
export function deadLetterFor(
  applicationId: string,
  appVersion: string,
  taskId: string,
  record: ConsumedRecord,
  reason: DeadLetterReason,
  error: unknown,
): OutgoingRecord {
  const { name, message } = describeError(error);
  return {
    topic: deadLetterTopicFor(applicationId),
    partition: record.partition,
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: {
      ...record.headers,
      [DLQ_HEADERS.reason]: Buffer.from(reason),
      [DLQ_HEADERS.errorClass]: Buffer.from(name),
      [DLQ_HEADERS.errorMessage]: Buffer.from(message),
      [DLQ_HEADERS.topic]: Buffer.from(record.topic),
      [DLQ_HEADERS.partition]: Buffer.from(String(record.partition)),
      [DLQ_HEADERS.offset]: Buffer.from(String(record.offset)),
      [DLQ_HEADERS.timestamp]: Buffer.from(String(record.timestamp)),
      [DLQ_HEADERS.taskId]: Buffer.from(taskId),
      [DLQ_HEADERS.appVersion]: Buffer.from(appVersion),
      ...(error instanceof RejectedRecordError ? { [DLQ_HEADERS.errorCode]: Buffer.from(error.code) } : {}),
    },
  };
}
