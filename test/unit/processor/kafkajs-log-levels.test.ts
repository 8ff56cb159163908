import { createRequire } from 'node:module';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkaJsLogVerdict } from '../../../processor/kafka/kafkajs/log-levels.ts';

const require = createRequire(import.meta.url);
// kafkajs' own table of the broker's error codes: the messages it logs them with.
const { errorCodes } = require('kafkajs/src/protocol/error.js') as {
  errorCodes: Array<{ type: string; message: string }>;
};
const messageOf = (type: string): string => {
  const code = errorCodes.find((c) => c.type === type);
  if (code === undefined) throw new Error(`kafkajs has no error code ${type}`);
  return code.message;
};

describe('how saldo logs what kafkajs logs', () => {
  it('keeps kafkajs’ level for what it does not know', () => {
    expect(kafkaJsLogVerdict(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded', undefined)).toBe(
      'error',
    );
    expect(kafkaJsLogVerdict(logLevel.WARN, 'Connection timeout', undefined)).toBe('warn');
    expect(kafkaJsLogVerdict(logLevel.INFO, 'Consumer has joined the group', undefined)).toBe('info');
    expect(kafkaJsLogVerdict(logLevel.DEBUG, 'Request Fetch(key: 1, version: 11)', undefined)).toBe('debug');
  });

  it('logs a broker’s answer that a leader or coordinator is moving as info: the caller retries it', () => {
    // What kafkajs logs at every first start, while a just-created changelog has no leader yet.
    const notLeader = 'This server is not the leader for that topic-partition';
    expect(kafkaJsLogVerdict(logLevel.ERROR, 'Response ListOffsets(key: 2, version: 3)', notLeader)).toBe(
      'info',
    );
    expect(
      kafkaJsLogVerdict(
        logLevel.ERROR,
        'Response Heartbeat(key: 12, version: 3)',
        'The group is rebalancing, so a rejoin is needed',
      ),
    ).toBe('info');
    expect(
      kafkaJsLogVerdict(
        logLevel.ERROR,
        'Response AddOffsetsToTxn(key: 25, version: 1)',
        'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing',
      ),
    ).toBe('info');
  });

  it('knows each routine answer by the message kafkajs gives its error code (a kafkajs upgrade that rewords one fails here)', () => {
    const routine = [
      'NOT_LEADER_FOR_PARTITION',
      'LEADER_NOT_AVAILABLE',
      'GROUP_LOAD_IN_PROGRESS',
      'GROUP_COORDINATOR_NOT_AVAILABLE',
      'NOT_COORDINATOR_FOR_GROUP',
      'FENCED_LEADER_EPOCH',
      'UNKNOWN_LEADER_EPOCH',
      'OFFSET_NOT_AVAILABLE',
      'CONCURRENT_TRANSACTIONS',
      'REBALANCE_IN_PROGRESS',
    ];
    for (const type of routine)
      expect([type, kafkaJsLogVerdict(logLevel.ERROR, 'Response X', messageOf(type))]).toEqual([
        type,
        'info',
      ]);
    for (const type of ['UNKNOWN_TOPIC_OR_PARTITION', 'TOPIC_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_EPOCH'])
      expect([type, kafkaJsLogVerdict(logLevel.ERROR, 'Response X', messageOf(type))]).toEqual([
        type,
        'error',
      ]);
  });

  it('keeps other error answers errors: an operator must act on them', () => {
    expect(
      kafkaJsLogVerdict(
        logLevel.ERROR,
        'Response Produce(key: 0, version: 7)',
        'Not authorized to access topics: [Topic authorization failed]',
      ),
    ).toBe('error');
    expect(
      kafkaJsLogVerdict(
        logLevel.ERROR,
        'Response Metadata(key: 3, version: 6)',
        'This server does not host this topic-partition',
      ),
    ).toBe('error');
  });

  it('drops the warning that an idempotent producer’s retries are bounded (saldo bounds them on purpose)', () => {
    expect(
      kafkaJsLogVerdict(
        logLevel.WARN,
        'Limiting retries for the idempotent producer to Number.MAX_SAFE_INTEGER',
        undefined,
      ),
    ).toBeNull();
  });
});
