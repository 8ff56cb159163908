import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import { assignPartitions } from '../assignor.ts';

export const COPARTITIONED_ASSIGNER_NAME = 'saldo-copartitioned';

interface SubscriptionUserData {
  owned: number[];
}

/** A member's reported partitions; a member that sends nothing readable owns nothing. */
function ownedFrom(userData: Buffer | undefined): number[] {
  try {
    const owned = (JSON.parse(userData?.toString() || '{}') as Partial<SubscriptionUserData>).owned;
    return Array.isArray(owned) ? owned.filter((p) => Number.isInteger(p)) : [];
  } catch {
    return [];
  }
}

/**
 * A kafkajs assigner that hands out partition NUMBERS: a member gets partition p of every subscribed
 * topic, so each task sees all its co-partitioned inputs. Members report the partitions they own in
 * their subscription's user data, which keeps assignments sticky.
 */
export function copartitionedAssigner(ownedPartitions: () => number[]): PartitionAssigner {
  return ({ cluster }) => ({
    name: COPARTITIONED_ASSIGNER_NAME,
    version: 1,
    protocol({ topics }) {
      const userData: SubscriptionUserData = { owned: ownedPartitions() };
      return {
        name: COPARTITIONED_ASSIGNER_NAME,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: 1,
          topics,
          userData: Buffer.from(JSON.stringify(userData)),
        }),
      };
    },
    async assign({ members, topics }) {
      await cluster.refreshMetadata();
      const counts = topics.map((t) => cluster.findTopicPartitionMetadata(t).length);
      // The app checks co-partitioning before it joins; the smallest count is the safe choice here.
      const partitionCount = counts.length > 0 ? Math.min(...counts) : 0;
      const subscriptions = members.map((m) => {
        const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
        return { memberId: m.memberId, ownedPartitions: ownedFrom(meta?.userData) };
      });
      const plan = assignPartitions(subscriptions, partitionCount);
      return members.map((m) => {
        const partitions = plan.get(m.memberId) ?? [];
        const assignment: Record<string, number[]> = {};
        for (const t of topics) assignment[t] = partitions;
        return {
          memberId: m.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: 1,
            assignment,
            userData: Buffer.alloc(0),
          }),
        };
      });
    },
  });
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
