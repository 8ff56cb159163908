import { validateStreamsConfig } from '../../processor/index.ts';
import { deadLetterTopicFor } from '../../processor/internal-topics.ts';
import type { TopicPartition } from '../../processor/records.ts';
import { readPartitionsToEnd } from '../read-topic.ts';
import { operatorAdapter } from '../operator-adapter.ts';
import { topologyByName } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import { appStatus, type AppStatus } from '../status/group-status.ts';
import { groupView } from '../rebalance/group-view.ts';
import { currentAssignment } from '../rebalance/group-assignment.ts';
import { instanceRestores } from '../status/instance-restores.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export interface StatusFlags extends RunFlags, ProductFlags, TopologyFlags {
  json?: boolean;
}

/**
 * `saldo status`: the application's consumer group (state, members, the tasks each runs), the lag
 * of every input partition against the group's committed offsets, and the dead-letter topic's
 * size — read from Kafka, so it answers whether or not an instance runs here. Read-only.
 */
export async function statusCommand(flags: StatusFlags): Promise<AppStatus> {
  const config = validateStreamsConfig(streamsConfigFrom(process.env, flags));
  const topology = topologyByName(topologySpecFrom(flags, () => productConfigFrom(process.env, flags)));
  const adapter = operatorAdapter(config, 'status');
  try {
    const admin = await adapter.admin();
    const deadLetterTopic = deadLetterTopicFor(config.applicationId);
    const counts = await admin.partitionCounts([...topology.sourceTopics, deadLetterTopic]);
    const partitionsOf = (topic: string): TopicPartition[] =>
      Array.from({ length: counts.get(topic) ?? 0 }, (_, partition) => ({ topic, partition }));
    const inputPartitions = topology.sourceTopics.flatMap(partitionsOf);
    const deadLetterPartitions = partitionsOf(deadLetterTopic);
    const [{ group, taskEnds }, committed, ranges] = await Promise.all([
      groupView(admin, topology, config.applicationId),
      admin.committedOffsets(config.applicationId, inputPartitions),
      admin.offsetRange(inputPartitions),
    ]);
    // Records, not offsets: offsets overcount a transactional topic (each commit leaves a marker).
    let deadLetterRecords: number | undefined;
    if (counts.get(deadLetterTopic) !== undefined) {
      let count = 0;
      await readPartitionsToEnd(adapter, deadLetterPartitions, () => {
        count += 1;
      });
      deadLetterRecords = count;
    }
    // Restores under way, from the instances that serve queries (the group does not know them).
    const endpoints = currentAssignment(group, taskEnds).flatMap((m) =>
      m.endpoint === undefined ? [] : [m.endpoint],
    );
    const restores = await instanceRestores(endpoints);
    return appStatus({
      applicationId: config.applicationId,
      group,
      inputPartitions,
      missingInputs: topology.sourceTopics.filter((topic) => counts.get(topic) === undefined),
      committed,
      ranges,
      deadLetterTopic,
      deadLetterRecords,
      taskEndOffsetSums: taskEnds,
      restores,
    });
  } finally {
    await adapter.close();
  }
}
