import { logLevel } from 'kafkajs';

/** The level saldo logs a kafkajs log entry at; null: not at all. */
export type KafkaJsLogVerdict = 'error' | 'warn' | 'info' | 'debug' | null;

// Broker answers that say a leader or coordinator is moving or loading (kafkajs' messages for the
// error codes): the request's caller refreshes its metadata and asks again (kafkajs itself, or
// saldo's own retries: the assigner's end-offset reads, AddOffsetsToTxn), and fails with its own
// error if they last. kafkajs logs each such answer as an error ("Response ListOffsets …") even
// when the retry succeeds a moment later, as at every first start, when a changelog just created
// has no leader yet: routine, so info.
const ROUTINE_BROKER_ANSWERS: ReadonlySet<string> = new Set([
  'This server is not the leader for that topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'The leader epoch in the request is older than the epoch on the broker',
  'The leader epoch in the request is newer than the epoch on the broker',
  'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing',
  'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
  // A heartbeat answered "rebalancing" is how every member learns of a rebalance.
  'The group is rebalancing, so a rejoin is needed',
]);

/**
 * How saldo logs what kafkajs logs: at kafkajs' level, except routine broker answers (info) and
 * the warning that an idempotent producer's retries are bounded (dropped: saldo bounds them on
 * purpose; a send that gives up fails the whole commit, the transaction is aborted and the task
 * restarts from its last commit with a new producer, so no duplicate can be committed).
 */
export function kafkaJsLogVerdict(level: logLevel, message: string, error: unknown): KafkaJsLogVerdict {
  if (message.startsWith('Limiting retries for the idempotent producer')) return null;
  if (typeof error === 'string' && ROUTINE_BROKER_ANSWERS.has(error)) return 'info';
  if (level <= logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  if (level === logLevel.INFO) return 'info';
  return 'debug';
}
