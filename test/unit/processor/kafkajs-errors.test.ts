import { describe, expect, it } from 'vitest';
import { isUnrecoverableCommitError } from '../../../processor/kafka/kafkajs/errors.ts';
import { UnknownTopicError } from '../../../processor/kafka/kafkajs/partition-counts.ts';

const kafkaJsError = (type: string): Error => Object.assign(new Error(`broker says ${type}`), { type });

describe('isUnrecoverableCommitError', () => {
  it('names a missing topic and refused authorization as errors no retry mends, anywhere in the cause chain', () => {
    expect(isUnrecoverableCommitError(new UnknownTopicError('balances'))).toBe(true);
    expect(isUnrecoverableCommitError(new Error('send failed', { cause: new UnknownTopicError('x') }))).toBe(
      true,
    );
    for (const type of [
      'TOPIC_AUTHORIZATION_FAILED',
      'GROUP_AUTHORIZATION_FAILED',
      'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
      'CLUSTER_AUTHORIZATION_FAILED',
      'SASL_AUTHENTICATION_FAILED',
    ]) {
      expect(isUnrecoverableCommitError(kafkaJsError(type))).toBe(true);
    }
  });

  it('leaves transient broker errors to the usual retry', () => {
    for (const type of ['UNKNOWN_TOPIC_OR_PARTITION', 'NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT']) {
      expect(isUnrecoverableCommitError(kafkaJsError(type))).toBe(false);
    }
    expect(isUnrecoverableCommitError(new Error('Connection error: ECONNREFUSED'))).toBe(false);
  });
});
