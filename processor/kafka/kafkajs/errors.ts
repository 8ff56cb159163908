/** How kafkajs errors map onto the engine's decisions. */
interface KafkaJsLikeError {
  type?: string;
  name?: string;
  message?: string;
  retriable?: boolean;
  cause?: unknown;
}

const FENCING_TYPES = new Set([
  'INVALID_PRODUCER_EPOCH',
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_ID_MAPPING',
  'TRANSACTIONAL_ID_NOT_FOUND',
]);

function chain(error: unknown): KafkaJsLikeError[] {
  const out: KafkaJsLikeError[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    out.push(current as KafkaJsLikeError);
    current = (current as KafkaJsLikeError).cause;
  }
  return out;
}

/** A newer producer with our transactional id exists: we are a zombie for that task. */
export function isFencingError(error: unknown): boolean {
  return chain(error).some(
    (e) => (e.type !== undefined && FENCING_TYPES.has(e.type)) || /fenced/i.test(e.message ?? ''),
  );
}

/** kafkajs marks the broker's transient answers retriable (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE, …). */
export function isRetriableKafkaError(error: unknown): boolean {
  return chain(error).some((e) => e.retriable === true);
}

/** kafkajs does not retry CONCURRENT_TRANSACTIONS on AddOffsetsToTxn (kafkajs #430, #1315, #1068). */
export function isConcurrentTransactions(error: unknown): boolean {
  return chain(error).some((e) => e.type === 'CONCURRENT_TRANSACTIONS');
}

// Errors no retry can mend: an operator must create a topic or grant an ACL.
const UNRECOVERABLE_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
]);

/**
 * A commit failed on something retrying cannot fix: a topic to produce to does not exist (our
 * UnknownTopicError, from a metadata check, not kafkajs' UNKNOWN_TOPIC_OR_PARTITION, which a new
 * topic's first moments also answer), or the broker refuses us authorization.
 */
export function isUnrecoverableCommitError(error: unknown): boolean {
  return chain(error).some(
    (e) => e.name === 'UnknownTopicError' || (e.type !== undefined && UNRECOVERABLE_TYPES.has(e.type)),
  );
}
