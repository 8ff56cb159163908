import { describeError } from './errors.ts';
import type { ConsumedRecord, OutgoingRecord } from './kafka/client.ts';
import { deadLetterTopicFor } from './topology.ts';

export type DeadLetterReason = 'deserialization' | 'processing';

/** Header names on dead letters; downstream tools (`saldo dlq`) read them. */
export const DLQ_HEADERS = {
  reason: 'saldo.dlq.reason',
  errorClass: 'saldo.dlq.error.class',
  errorMessage: 'saldo.dlq.error.message',
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
    },
  };
}
