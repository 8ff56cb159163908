import kafkajs, { type Cluster, type GroupMember } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { endOffsetRetry, stateAwareAssigner } from '../../../processor/kafka/kafkajs/assigner.ts';
import { CONCURRENT_TRANSACTIONS_RETRY } from '../../../processor/kafka/kafkajs/commit-units.ts';
import { retrying } from '../../../processor/kafka/kafkajs/retry.ts';
import { isRetriableKafkaError } from '../../../processor/kafka/kafkajs/errors.ts';

const { AssignerProtocol } = kafkajs;

// What kafkajs throws when a partition's leader is not ready yet (KafkaJSProtocolError).
const notLeader = () =>
  Object.assign(new Error('This server is not the leader for that topic-partition'), {
    name: 'KafkaJSProtocolError',
    type: 'NOT_LEADER_OR_FOLLOWER',
    retriable: true,
  });
const denied = () =>
  Object.assign(new Error('Not authorized to access topics'), {
    name: 'KafkaJSProtocolError',
    type: 'TOPIC_AUTHORIZATION_FAILED',
    retriable: false,
  });

const noSleep = async () => undefined;

describe('reading the changelogs’ end offsets for an assignment', () => {
  it('tells the broker’s transient answers from the others, anywhere in the cause chain', () => {
    expect(isRetriableKafkaError(notLeader())).toBe(true);
    expect(isRetriableKafkaError(new Error('fetch failed', { cause: notLeader() }))).toBe(true);
    expect(isRetriableKafkaError(denied())).toBe(false);
    expect(isRetriableKafkaError(new Error('plain'))).toBe(false);
  });

  it('refreshes the metadata and reads again while the broker answers NOT_LEADER_OR_FOLLOWER', async () => {
    const read = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(notLeader())
      .mockRejectedValueOnce(notLeader());
    read.mockResolvedValue('offsets');
    const refresh = vi.fn(async () => undefined);
    const pauses: number[] = [];
    const result = await retrying(read, {
      ...endOffsetRetry(refresh),
      sleep: async (ms) => void pauses.push(ms),
    });
    expect(result).toBe('offsets');
    expect(read).toHaveBeenCalledTimes(3);
    expect(refresh).toHaveBeenCalledTimes(2);
    expect(pauses).toEqual([200, 400]);
  });

  it('gives up after its attempts, and at once on an error no retry mends', async () => {
    const always = vi.fn(async () => Promise.reject(notLeader()));
    await expect(
      retrying(always, { ...endOffsetRetry(noSleep), attempts: 3, sleep: noSleep }),
    ).rejects.toThrow(/not the leader/);
    expect(always).toHaveBeenCalledTimes(3);
    const refused = vi.fn(async () => Promise.reject(denied()));
    await expect(retrying(refused, { ...endOffsetRetry(noSleep), sleep: noSleep })).rejects.toThrow(
      /Not authorized/,
    );
    expect(refused).toHaveBeenCalledTimes(1);
  });

  it('retries AddOffsetsToTxn on CONCURRENT_TRANSACTIONS 20 times, 10 ms doubling to 500 ms apart', async () => {
    const concurrent = () =>
      Object.assign(new Error('concurrent transactions'), {
        type: 'CONCURRENT_TRANSACTIONS',
        retriable: false,
      });
    const pauses: number[] = [];
    const always = vi.fn(async () => Promise.reject(concurrent()));
    await expect(
      retrying(always, { ...CONCURRENT_TRANSACTIONS_RETRY, sleep: async (ms) => void pauses.push(ms) }),
    ).rejects.toThrow(/concurrent/);
    expect(always).toHaveBeenCalledTimes(21);
    expect(pauses.slice(0, 7)).toEqual([10, 20, 40, 80, 160, 320, 500]);
    expect(pauses).toHaveLength(20);
    const other = vi.fn(async () => Promise.reject(notLeader()));
    await expect(retrying(other, { ...CONCURRENT_TRANSACTIONS_RETRY, sleep: noSleep })).rejects.toThrow(
      /leader/,
    );
    expect(other).toHaveBeenCalledTimes(1);
  });

  it('assigns once a just-created changelog has its leader, instead of failing the join', async () => {
    let reads = 0;
    const cluster = {
      refreshMetadata: vi.fn(async () => undefined),
      findTopicPartitionMetadata: () => [{ partitionId: 0 }, { partitionId: 1 }],
      addMultipleTargetTopics: async () => undefined,
      fetchTopicsOffset: async (
        topics: Array<{ topic: string; partitions: Array<{ partition: number }> }>,
      ) => {
        reads += 1;
        if (reads === 1) throw notLeader();
        return topics.map(({ topic, partitions }) => ({
          topic,
          partitions: partitions.map(({ partition }) => ({ partition, offset: '0' })),
        }));
      },
    } as unknown as Cluster;
    const assigner = stateAwareAssigner({
      subscription: () => ({ version: 2, processId: 'p1', tasks: [] }) as never,
      changelogTopics: ['app-balances-changelog'],
      settings: {} as never,
    })({ cluster, groupId: 'app', logger: undefined as never });
    const member: GroupMember = {
      memberId: 'm1',
      memberMetadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics: ['transactions'],
        userData: Buffer.alloc(0),
      }),
    };
    const assignments = await assigner.assign({ members: [member], topics: ['transactions'] });
    expect(reads).toBe(2);
    const decoded = AssignerProtocol.MemberAssignment.decode(assignments[0]?.memberAssignment as Buffer);
    expect(decoded?.assignment).toEqual({ transactions: [0, 1] });
  });
});
