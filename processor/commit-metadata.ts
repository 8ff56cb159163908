/**
 * What a task commits along with its input offsets, in Kafka's offset metadata: its stream time,
 * as Kafka Streams commits a partition's time. After a restart or a move the task goes on from it,
 * so windowed stores' retention and stream-time punctuation continue where they were instead of
 * waiting for the first new record. Versioned and short: brokers cap metadata at 4 KiB by default.
 */
export interface CommitMetadata {
  /** The largest record timestamp the task had processed (epoch ms); -1 before any record. */
  streamTime: number;
}

const PREFIX_V1 = 'saldo:1:';

export function encodeCommitMetadata(metadata: CommitMetadata): string {
  return `${PREFIX_V1}${metadata.streamTime}`;
}

/**
 * The metadata of a committed offset; undefined when there is none or it is not saldo's (another
 * tool committed the offset, or a later format): the task then starts without a stream time.
 */
export function decodeCommitMetadata(text: string | null | undefined): CommitMetadata | undefined {
  if (typeof text !== 'string' || !text.startsWith(PREFIX_V1)) return undefined;
  const digits = text.slice(PREFIX_V1.length);
  if (!/^(-1|\d{1,16})$/.test(digits)) return undefined;
  return { streamTime: Number(digits) };
}
