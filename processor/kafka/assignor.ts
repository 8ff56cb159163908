/**
 * Assignment of partition numbers (tasks) to the members of the group. Pure logic, kept apart from
 * the kafkajs assigner wrapper so that it can be unit-tested.
 *
 * Co-partitioning: a member gets partition p of EVERY source topic, so a task sees all its inputs.
 * Stickiness: a member keeps the tasks it reports owning, up to its fair share, so that a rebalance
 * moves as few tasks (and as little state) as it can.
 */
export interface MemberSubscription {
  memberId: string;
  /** Partition numbers whose tasks the member ran before this rebalance. */
  ownedPartitions: number[];
}

export function assignPartitions(
  members: MemberSubscription[],
  partitionCount: number,
): Map<string, number[]> {
  const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
  const result = new Map<string, number[]>(sorted.map((m) => [m.memberId, []]));
  if (sorted.length === 0) return result;

  const base = Math.floor(partitionCount / sorted.length);
  const withExtra = partitionCount % sorted.length;
  // The first `withExtra` members (in id order) may hold one more than the others.
  const quota = new Map(sorted.map((m, i) => [m.memberId, base + (i < withExtra ? 1 : 0)]));

  const taken = new Set<number>();
  for (const member of sorted) {
    const mine = result.get(member.memberId) as number[];
    const limit = quota.get(member.memberId) as number;
    for (const p of [...member.ownedPartitions].sort((a, b) => a - b)) {
      if (mine.length >= limit) break;
      if (p < 0 || p >= partitionCount || taken.has(p)) continue;
      mine.push(p);
      taken.add(p);
    }
  }

  const free: number[] = [];
  for (let p = 0; p < partitionCount; p++) if (!taken.has(p)) free.push(p);
  for (const member of sorted) {
    const mine = result.get(member.memberId) as number[];
    const limit = quota.get(member.memberId) as number;
    while (mine.length < limit && free.length > 0) mine.push(free.shift() as number);
    mine.sort((a, b) => a - b);
  }
  return result;
}
