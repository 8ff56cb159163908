import { describe, expect, it } from 'vitest';
import { assignPartitions } from '../../../processor/kafka/assignor.ts';

function totals(plan: Map<string, number[]>): number[] {
  return [...plan.values()].flat().sort((a, b) => a - b);
}

describe('assignPartitions (co-partitioned, sticky)', () => {
  it('hands every partition number to exactly one member, balanced within one', () => {
    const plan = assignPartitions(
      [
        { memberId: 'b', ownedPartitions: [] },
        { memberId: 'a', ownedPartitions: [] },
        { memberId: 'c', ownedPartitions: [] },
      ],
      8,
    );
    expect(totals(plan)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const sizes = [...plan.values()].map((ps) => ps.length).sort();
    expect(sizes).toEqual([2, 3, 3]);
  });

  it('keeps partitions with their previous owner when the group does not change', () => {
    const plan = assignPartitions(
      [
        { memberId: 'a', ownedPartitions: [1, 3, 5] },
        { memberId: 'b', ownedPartitions: [0, 2, 4] },
      ],
      6,
    );
    expect(plan.get('a')).toEqual([1, 3, 5]);
    expect(plan.get('b')).toEqual([0, 2, 4]);
  });

  it('moves only the surplus to a member that joins', () => {
    const plan = assignPartitions(
      [
        { memberId: 'a', ownedPartitions: [0, 1, 2, 3, 4, 5] },
        { memberId: 'b', ownedPartitions: [] },
      ],
      6,
    );
    expect(plan.get('a')).toEqual([0, 1, 2]);
    expect(plan.get('b')).toEqual([3, 4, 5]);
  });

  it("gives a leaving member's partitions to those that stay", () => {
    const plan = assignPartitions([{ memberId: 'a', ownedPartitions: [0, 2, 4] }], 6);
    expect(plan.get('a')).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('ignores claims on partitions that no longer exist or that another member already kept', () => {
    const plan = assignPartitions(
      [
        { memberId: 'a', ownedPartitions: [0, 9] },
        { memberId: 'b', ownedPartitions: [0, 1] },
      ],
      4,
    );
    expect(totals(plan)).toEqual([0, 1, 2, 3]);
    expect(plan.get('a')).toContain(0);
    expect(plan.get('b')).toContain(1);
  });
});
