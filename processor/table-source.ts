import type { KeyValueStore } from '../state/index.ts';
import { RejectedRecordError, TopologyError } from './errors.ts';
import type { RecordSerde } from './serde.ts';
import type { Processor } from './processor-api.ts';
import { storeDefinitionOf, type KeyValueStoreRef, type StoreDefinition } from './store-refs.ts';
import type { SourceNode } from './topology.ts';

/**
 * Table sources (Kafka Streams' KTable over a source topic). A table's topic is an input like the
 * stream sources' (co-partitioned, consumed by the group, its offset committed in each task's
 * transaction) whose records are not handed to processors but written into a key-value store
 * that processors read:
 *
 *   - partition p of the topic fills the store of task 0_p; a null value deletes the key;
 *   - the topic is the store's changelog: the store has none of its own, and its local
 *     checkpoint is the next offset of the topic it covers;
 *   - before a task processes any stream record it reads its table partitions from that
 *     checkpoint (or the beginning) up to their end (processor/table-bootstrap.ts); afterwards new
 *     table records are processed with the stream records, in timestamp order
 *     (processor/partition-group.ts);
 *   - processors get a read-only handle: a write would be lost at the next bootstrap.
 */
export interface TableSourceOptions<K, V> {
  /** A compacted topic, co-partitioned with the stream inputs. */
  topic: string;
  /** Decode the Kafka record (may be Avro through the registry). */
  keySerde: RecordSerde<K>;
  valueSerde: RecordSerde<V>;
  /** The store it fills, which processors list and read (`ctx.store(ref)`); the table adds it. */
  store: KeyValueStoreRef<K, V>;
  /** The record's event time, for the order with stream records; default: the Kafka timestamp. */
  timestampOf?: (value: V, recordTimestamp: number) => number;
}

export interface TableSourceDefinition {
  readonly name: string;
  readonly topic: string;
  readonly keySerde: RecordSerde<unknown>;
  readonly valueSerde: RecordSerde<unknown>;
  /** The name of the store it fills. */
  readonly store: string;
  readonly timestampOf?: (value: unknown, recordTimestamp: number) => number;
}

/** What `saldo topics create` and operators should give a table's topic: the latest value per key. */
export const TABLE_TOPIC_CONFIGS: Readonly<Record<string, string>> = { 'cleanup.policy': 'compact' };

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Validates a table source's options; the store is added to the topology like any other. */
export function tableSourceDefinition<K, V>(
  name: string,
  opts: TableSourceOptions<K, V>,
): { table: TableSourceDefinition; store: StoreDefinition } {
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    throw new TopologyError(`table source name '${name}' may use only letters, digits, '.', '_' and '-'`);
  if (!TOPIC_NAME.test(opts.topic))
    throw new TopologyError(`table source '${name}' names an invalid topic '${opts.topic}'`);
  const table: TableSourceDefinition = {
    name,
    topic: opts.topic,
    keySerde: opts.keySerde as RecordSerde<unknown>,
    valueSerde: opts.valueSerde as RecordSerde<unknown>,
    store: opts.store.name,
    ...(opts.timestampOf === undefined
      ? {}
      : { timestampOf: opts.timestampOf as (value: unknown, recordTimestamp: number) => number }),
  };
  return { table, store: storeDefinitionOf(opts.store, name) };
}

/** The table as the task's input routes see a source: its serdes and event time. */
export function tableSourceNode(table: TableSourceDefinition): SourceNode {
  return {
    kind: 'source',
    name: table.name,
    topics: [table.topic],
    keySerde: table.keySerde,
    valueSerde: table.valueSerde,
    ...(table.timestampOf === undefined ? {} : { timestampOf: table.timestampOf }),
    children: [],
  };
}

/**
 * The processor that applies a table's records to its store. A record without a key cannot be
 * applied: it is refused (a dead letter with code `table-null-key`), as is one the store's serdes
 * cannot encode (reason `processing`).
 */
export function tableWriter(table: TableSourceDefinition, store: KeyValueStore<unknown, unknown>): Processor {
  return {
    process(record) {
      if (record.key === null) {
        throw new RejectedRecordError('table-null-key', `a record of table '${table.name}' has no key`);
      }
      if (record.value === null) store.delete(record.key);
      else store.put(record.key, record.value);
    },
  };
}
