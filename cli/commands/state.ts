import { jsonWithBigints, validateStreamsConfig } from '../../processor/index.ts';
import { changelogTopicFor } from '../../processor/internal-topics.ts';
import type { KafkaJsAdapter } from '../../processor/kafka/kafkajs/index.ts';
import { partitionForKey } from '../../processor/kafka/wire/key-partitioning.ts';
import type { StoreDefinition } from '../../processor/store-refs.ts';
import { operatorAdapter } from '../operator-adapter.ts';
import { readPartitionsToEnd } from '../read-topic.ts';
import { topologyByName } from '../../topologies/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import { topologySpecFrom, type TopologyFlags } from './topology-spec.ts';

export interface StateGetFlags extends RunFlags, ProductFlags, TopologyFlags {
  /** What the input is keyed by, when the store key is another (default: the key itself). */
  partitionKey?: string;
  /** The task's partition, for inputs not partitioned by Kafka's default partitioner. */
  partition?: string;
  json?: boolean;
}

export interface StoreValue {
  readonly store: string;
  readonly kind: string;
  /** Where it was read: the store's changelog, or a table's input topic. */
  readonly topic: string;
  readonly found: boolean;
  readonly value?: unknown;
  /** Why the store was not read (TTL and windowed stores hold keys of their own shape). */
  readonly skipped?: string;
}

export interface StateGetResult {
  readonly key: string;
  readonly partition: number;
  readonly stores: StoreValue[];
}

/**
 * `saldo state get <key>`: the latest value of a key in each key-value store of the topology, read
 * from the stores' changelogs (a table's from its input topic) at the partition of the task that
 * owns the key. The changelogs hold what was committed, so this answers whether or not an instance
 * runs, and whatever instance holds the task. Read-only.
 */
export async function stateGetCommand(flags: StateGetFlags, key: string): Promise<StateGetResult> {
  const config = validateStreamsConfig(streamsConfigFrom(process.env, flags));
  const topology = topologyByName(topologySpecFrom(flags, () => productConfigFrom(process.env, flags)));
  const adapter = operatorAdapter(config, 'state');
  try {
    const admin = await adapter.admin();
    const input = topology.sourceTopics[0] ?? '';
    const partitions = (await admin.partitionCounts([input])).get(input);
    if (partitions === undefined) throw new Error(`input topic ${input} does not exist`);
    const partition =
      flags.partition !== undefined
        ? Number(flags.partition)
        : partitionForKey(Buffer.from(flags.partitionKey ?? key), partitions);
    if (!Number.isSafeInteger(partition) || partition < 0 || partition >= partitions) {
      throw new Error(
        `--partition must be a partition of ${input} (0 to ${partitions - 1}), got '${flags.partition}'`,
      );
    }
    const stores: StoreValue[] = [];
    for (const store of topology.stores.values()) {
      stores.push(await storeValue(adapter, config.applicationId, topology, store, key, partition));
    }
    return { key, partition, stores };
  } finally {
    await adapter.close();
  }
}

async function storeValue(
  adapter: KafkaJsAdapter,
  applicationId: string,
  topology: ReturnType<typeof topologyByName>,
  store: StoreDefinition,
  key: string,
  partition: number,
): Promise<StoreValue> {
  const table = store.table === undefined ? undefined : topology.tables.get(store.table);
  const topic = table?.topic ?? changelogTopicFor(applicationId, store.name);
  if (store.kind !== 'key-value') {
    return { store: store.name, kind: store.kind, topic, found: false, skipped: `a ${store.kind} store` };
  }
  const keyBytes = table === undefined ? store.keySerde.serialize(key) : Buffer.from(key);
  let latest: Buffer | null | undefined;
  await readPartitionsToEnd(adapter, [{ topic, partition }], (record) => {
    if (record.key?.equals(keyBytes)) latest = record.value;
  });
  if (latest === undefined || latest === null)
    return { store: store.name, kind: store.kind, topic, found: false };
  const value =
    table === undefined
      ? store.valueSerde.deserialize(latest)
      : await table.valueSerde.deserialize(latest, { topic, part: 'value' });
  return { store: store.name, kind: store.kind, topic, found: true, value };
}

export function stateAsJson(result: StateGetResult): string {
  return jsonWithBigints(result);
}

/** The result as an operator reads it. */
export function formatStateGet(result: StateGetResult): string {
  const lines = [`key ${result.key} (task 0_${result.partition})`];
  for (const s of result.stores) {
    const what = s.skipped ?? (s.found ? jsonWithBigints(s.value) : 'not found');
    lines.push(`  ${s.store} (${s.kind}, ${s.topic}): ${what}`);
  }
  return `${lines.join('\n')}\n`;
}
