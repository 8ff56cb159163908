/**
 * The group as operators' commands read it through the Kafka boundary: its description, the
 * inputs' partition count, and per task the end of its changelogs (how far behind standbys are).
 */
import { taskEndOffsetSums } from '../../processor/assignment/group-plan.ts';
import { changelogTopicsOf } from '../../processor/internal-topics.ts';
import type { AdminClient, GroupDescription } from '../../processor/kafka/client.ts';
import type { Topology } from '../../processor/topology.ts';

export interface GroupView {
  group: GroupDescription;
  partitions: number;
  taskEnds: Map<number, number>;
}

export async function groupView(admin: AdminClient, topology: Topology, appId: string): Promise<GroupView> {
  const changelogs = changelogTopicsOf(appId, topology.storeSpecs);
  const counts = await admin.partitionCounts([...topology.sourceTopics, ...changelogs]);
  const partitions = Math.min(...topology.sourceTopics.map((t) => counts.get(t) ?? 0));
  // Changelogs appear with the app's first start: before it, every task's state is empty.
  const existing = changelogs.filter((topic) => counts.get(topic) !== undefined);
  const ranges = await admin.offsetRange(
    existing.flatMap((topic) => Array.from({ length: partitions }, (_, partition) => ({ topic, partition }))),
  );
  const ends = new Map([...ranges].map(([key, range]) => [key, range.end]));
  const group = await admin.describeGroup(appId);
  return { group, partitions, taskEnds: taskEndOffsetSums(ends, changelogs, partitions) };
}
