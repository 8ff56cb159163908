import type { ICustomPartitioner, PartitionerArgs } from 'kafkajs';
import { partitionForKey } from '../wire/key-partitioning.ts';

/**
 * kafkajs' DefaultPartitioner, made cheap: explicit partitions first (changelogs and the DLQ name
 * theirs), then murmur2 of the key as in the Java client, then round robin over partitions that
 * have a leader for records without a key. kafkajs' own filters the partition list and hashes
 * through Long objects for every message.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined) {
      const bytes = typeof key === 'string' ? Buffer.from(key) : key;
      return partitionForKey(bytes, partitionMetadata.length);
    }
    const next = (counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    const pool = available.length > 0 ? available : partitionMetadata;
    return pool[(next & 0x7fffffff) % pool.length]?.partitionId ?? 0;
  };
};
