import kafkajs, { type PartitionAssigner } from 'kafkajs';
import {
  encodeInfo,
  type AssignorSettings,
  type OperatorInfo,
  type SubscriptionInfo,
} from '../../assignment/assignment-info.ts';
import { planGroup, taskEndOffsetSums } from '../../assignment/group-plan.ts';
import { isRetriableKafkaError } from './errors.ts';
import { retrying, type RetryPolicy } from './retry.ts';

const { AssignerProtocol } = kafkajs;

export const STATE_AWARE_ASSIGNER_NAME = 'saldo-state-aware';

export interface StateAwareAssignerOptions {
  /** This member's subscription user data, as it stands at each join. */
  subscription: () => SubscriptionInfo | OperatorInfo;
  /** The topology's changelog topics (partition p of each belongs to task p). */
  changelogTopics: readonly string[];
  settings: AssignorSettings;
  /** Called on the leader with each plan it hands out (for its log). */
  onPlan?: (plan: ReturnType<typeof planGroup>) => void;
}

/**
 * The group's assigner (processor/assignment/): hands out partition NUMBERS (a member gets
 * partition p of every subscribed topic, so each task sees all its co-partitioned inputs), keeps
 * tasks where their state is, places standbys and warm-ups. The leader reads the changelogs' end
 * offsets to tell caught-up state from stale.
 */
export function stateAwareAssigner(options: StateAwareAssignerOptions): PartitionAssigner {
  return ({ cluster }) => ({
    name: STATE_AWARE_ASSIGNER_NAME,
    version: 1,
    protocol({ topics }) {
      return {
        name: STATE_AWARE_ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: encodeInfo(options.subscription()),
        }),
      };
    },
    async assign({ members, topics }) {
      await cluster.refreshMetadata();
      const counts = topics.map((t) => cluster.findTopicPartitionMetadata(t).length);
      // The app checks co-partitioning before it joins; the smallest count is the safe choice here.
      const partitionCount = counts.length > 0 ? Math.min(...counts) : 0;
      const endOffsets = new Map<string, number>();
      if (options.changelogTopics.length > 0 && partitionCount > 0) {
        await cluster.addMultipleTargetTopics([...options.changelogTopics]);
        const partitions = Array.from({ length: partitionCount }, (_, partition) => ({ partition }));
        const offsets = await retrying(
          () =>
            cluster.fetchTopicsOffset(
              options.changelogTopics.map((topic) => ({ topic, partitions, fromBeginning: false })),
            ),
          endOffsetRetry(() => cluster.refreshMetadata()),
        );
        for (const t of offsets)
          for (const p of t.partitions) endOffsets.set(`${t.topic}:${p.partition}`, Number(p.offset));
      }
      const group = planGroup(
        members.map((m) => ({
          memberId: m.memberId,
          userData: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData,
        })),
        partitionCount,
        taskEndOffsetSums(endOffsets, options.changelogTopics, partitionCount),
        options.settings,
      );
      options.onPlan?.(group);
      return members.map((m) => {
        const partitions = group.plan.members.get(m.memberId)?.active ?? [];
        const assignment: Record<string, number[]> = {};
        for (const t of topics) assignment[t] = partitions;
        const info = group.assignments.get(m.memberId);
        return {
          memberId: m.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment,
            userData: info ? encodeInfo(info) : Buffer.alloc(0),
          }),
        };
      });
    },
  });
}

/**
 * How the leader reads the changelogs' end offsets again. A changelog this instance has just
 * created answers NOT_LEADER_OR_FOLLOWER for a moment after the metadata shows its leader (KRaft):
 * every first start of an app crashed its group consumer once on it (kafkajs then restarts the
 * consumer, and logs a crash an operator should not see). Up to 5 tries, 200 ms × retry apart, the
 * metadata refreshed before each.
 */
export function endOffsetRetry(refresh: () => Promise<void>): RetryPolicy {
  return {
    attempts: 5,
    retryOn: isRetriableKafkaError,
    pauseMs: (retry) => 200 * retry,
    beforeRetry: refresh,
  };
}

/** An assigner for a consumer that is the only member of its group and wants exactly these partitions. */
export function fixedAssigner(assignment: Record<string, number[]>): PartitionAssigner {
  return () => ({
    name: 'saldo-fixed',
    version: 1,
    protocol({ topics }) {
      return {
        name: 'saldo-fixed',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
      };
    },
    async assign({ members }) {
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: i === 0 ? assignment : {},
          userData: Buffer.alloc(0),
        }),
      }));
    },
  });
}
