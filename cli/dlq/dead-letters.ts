/**
 * Dead letters as `saldo dlq` shows them: what a record on `<app>-dlq` says in its headers (why it
 * failed, where it came from) and how it goes back to its input (the original key, value and
 * headers, to the partition it came from). Pure: the command reads and writes through Kafka.
 */
import { DLQ_HEADERS } from '../../processor/dead-letter.ts';
import { setHeader, type ConsumedRecord, type Headers } from '../../processor/records.ts';

export interface DeadLetter {
  /** Where it sits on the dead-letter topic: `<partition>:<offset>`. */
  readonly id: string;
  readonly partition: number;
  readonly offset: number;
  readonly reason: string;
  readonly errorClass: string;
  readonly errorMessage: string;
  readonly errorCode: string | null;
  readonly origin: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
    readonly timestamp: number;
  };
  readonly task: string;
  readonly appVersion: string;
  readonly key: string | null;
  readonly valueBytes: number;
}

const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

function header(headers: Headers, name: string): string | null {
  return Object.hasOwn(headers, name) ? (headers[name] as Buffer).toString() : null;
}

/** What a dead-letter record says; headers a dead letter lacks read as empty. */
export function deadLetterOf(record: ConsumedRecord): DeadLetter {
  const h = (name: string) => header(record.headers, name) ?? '';
  return {
    id: `${record.partition}:${record.offset}`,
    partition: record.partition,
    offset: record.offset,
    reason: h(DLQ_HEADERS.reason),
    errorClass: h(DLQ_HEADERS.errorClass),
    errorMessage: h(DLQ_HEADERS.errorMessage),
    errorCode: header(record.headers, DLQ_HEADERS.errorCode),
    origin: {
      topic: h(DLQ_HEADERS.topic),
      partition: Number(h(DLQ_HEADERS.partition)),
      offset: Number(h(DLQ_HEADERS.offset)),
      timestamp: Number(h(DLQ_HEADERS.timestamp)),
    },
    task: h(DLQ_HEADERS.taskId),
    appVersion: h(DLQ_HEADERS.appVersion),
    key: record.key === null ? null : record.key.toString(),
    valueBytes: record.value?.length ?? 0,
  };
}

/** The record to send back to its input: as it was consumed, without the dead-letter headers. */
export function replayRecordOf(record: ConsumedRecord): {
  topic: string;
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
} {
  const letter = deadLetterOf(record);
  if (letter.origin.topic === '' || !Number.isSafeInteger(letter.origin.partition)) {
    throw new Error(`dead letter ${letter.id} does not name its origin (no ${DLQ_HEADERS.topic} header)`);
  }
  const headers: Headers = {};
  for (const [name, value] of Object.entries(record.headers)) {
    if (!DLQ_HEADER_NAMES.has(name)) setHeader(headers, name, value);
  }
  return {
    topic: letter.origin.topic,
    partition: letter.origin.partition,
    key: record.key,
    value: record.value,
    headers,
  };
}

/** `<partition>:<offset>` ids, comma-separated, as `--ids` takes them. */
export function parseDeadLetterIds(text: string): string[] {
  const ids = text
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  for (const id of ids) {
    if (!/^\d+:\d+$/.test(id))
      throw new Error(`'${id}' is not a dead letter id such as 0:42 (partition:offset)`);
  }
  return ids;
}

/** The dead letters as a table for a terminal. */
export function formatDeadLetters(letters: readonly DeadLetter[]): string {
  if (letters.length === 0) return 'no dead letters\n';
  const lines = ['id        reason           origin                          error'];
  for (const l of letters) {
    const origin = `${l.origin.topic}[${l.origin.partition}]@${l.origin.offset}`;
    const error = `${l.errorClass}${l.errorCode ? ` (${l.errorCode})` : ''}: ${l.errorMessage}`;
    lines.push(`${l.id.padEnd(9)} ${l.reason.padEnd(16)} ${origin.padEnd(31)} ${error}`);
  }
  return `${lines.join('\n')}\n`;
}
