import { validateStreamsConfig, type TopicSpec } from '../../processor/index.ts';
import { operatorAdapter } from '../operator-adapter.ts';
import { topologyByName } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export interface TopicsCreateFlags extends RunFlags, ProductFlags, TopologyFlags {
  partitions: string;
  json?: boolean;
}

export interface TopicReport {
  topic: string;
  role: 'input' | 'output';
  partitions: number;
  cleanupPolicy: string;
  status: 'created' | 'exists' | 'mismatch';
  problem?: string;
}

/**
 * `saldo topics create`: the topology's input and output topics, with the partition count given
 * and each topic's configs (`balances` and `account-limits` compacted). Existing topics are checked, not changed: a
 * different partition count or cleanup policy is reported and the command exits non-zero.
 * Internal topics (changelogs, the DLQ) are created by `saldo run` itself.
 */
export async function topicsCreateCommand(flags: TopicsCreateFlags): Promise<TopicReport[]> {
  const partitions = Number(flags.partitions);
  if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > 10_000) {
    throw new Error(`--partitions must be a whole number from 1 to 10000, got '${flags.partitions}'`);
  }
  const config = validateStreamsConfig(streamsConfigFrom(process.env, flags));
  const spec = topologySpecFrom(flags, () => productConfigFrom(process.env, flags));
  const topology = topologyByName(spec);
  const wanted: Array<TopicSpec & { role: 'input' | 'output' }> = [
    // A table's input (account-limits) is compacted like the outputs that hold latest values.
    ...[...topology.sourceTopicConfigs].map(([topic, configs]) => ({
      topic,
      numPartitions: partitions,
      configs,
      role: 'input' as const,
    })),
    ...[...topology.sinkTopicConfigs].map(([topic, configs]) => ({
      topic,
      numPartitions: partitions,
      configs,
      role: 'output' as const,
    })),
  ];
  const adapter = operatorAdapter(config, 'topics');
  try {
    const admin = await adapter.admin();
    const counts = await admin.partitionCounts(wanted.map((w) => w.topic));
    const missing = wanted.filter((w) => counts.get(w.topic) === undefined);
    await admin.createTopics(
      missing.map(({ topic, numPartitions, configs }) => ({ topic, numPartitions, configs })),
    );
    const policies = await admin.topicConfigs(
      wanted.map((w) => w.topic),
      ['cleanup.policy'],
    );
    return wanted.map((w) => {
      const cleanupPolicy = policies.get(w.topic)?.['cleanup.policy'] ?? '?';
      const count = counts.get(w.topic) ?? partitions;
      const expectedPolicy = w.configs?.['cleanup.policy'] ?? 'delete';
      const problems = [
        ...(count !== partitions ? [`has ${count} partitions, not ${partitions}`] : []),
        ...(cleanupPolicy !== expectedPolicy
          ? [`cleanup.policy is ${cleanupPolicy}, not ${expectedPolicy}`]
          : []),
      ];
      return {
        topic: w.topic,
        role: w.role,
        partitions: count,
        cleanupPolicy,
        status: missing.includes(w) ? 'created' : problems.length > 0 ? 'mismatch' : 'exists',
        ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
      };
    });
  } finally {
    await adapter.close();
  }
}

/** The reports as a table for people. */
export function formatTopicReports(reports: TopicReport[]): string {
  const rows = [
    ['topic', 'role', 'partitions', 'cleanup.policy', 'status'],
    ...reports.map((r) => [
      r.topic,
      r.role,
      String(r.partitions),
      r.cleanupPolicy,
      r.problem === undefined ? r.status : `${r.status}: ${r.problem}`,
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
