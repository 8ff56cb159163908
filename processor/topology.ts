import type { StoreSpec } from '../state/index.ts';
import { TopologyError, UndeclaredStoreError } from './errors.ts';
import type { Processor } from './processor-api.ts';
import type { RecordSerde } from './serde.ts';
import { storeDefinitionOf, type StoreDefinition, type StoreRef } from './store-refs.ts';
import {
  TABLE_TOPIC_CONFIGS,
  tableSourceDefinition,
  type TableSourceDefinition,
  type TableSourceOptions,
} from './table-source.ts';
import { describeTopology } from './topology-description.ts';

export interface SourceNode {
  kind: 'source';
  name: string;
  topics: string[];
  keySerde: RecordSerde<unknown>;
  valueSerde: RecordSerde<unknown>;
  /**
   * The record's event time, read from its decoded value (Kafka Streams' TimestampExtractor);
   * default: the Kafka record's timestamp. It drives stream time, windows and expiry.
   */
  timestampOf?: (value: unknown, recordTimestamp: number) => number;
  /**
   * A record timestamped further than this ahead of the wall clock is refused (a dead letter)
   * before it can move stream time: one device with its clock in 2099 would otherwise expire every
   * window, hold and dedup id of its partition at once.
   */
  maxTimestampAheadMs?: number;
  children: string[];
}

export interface ProcessorNode {
  kind: 'processor';
  name: string;
  parents: string[];
  stores: StoreRef[];
  create: () => Processor;
  children: string[];
}

export interface SinkNode {
  kind: 'sink';
  name: string;
  parents: string[];
  topic: string;
  keySerde: RecordSerde<unknown>;
  valueSerde: RecordSerde<unknown>;
  /** Configs the topic is created with (`cleanup.policy: compact` for a table of latest values). */
  topicConfigs: Record<string, string>;
  children: string[];
}

export type TopologyNode = SourceNode | ProcessorNode | SinkNode;

/** A built, validated topology. Immutable; each task instantiates its own processors from it. */
export class Topology {
  readonly nodes: ReadonlyMap<string, TopologyNode>;
  readonly stores: ReadonlyMap<string, StoreDefinition>;
  /** Table sources by name: each fills a store from its topic. */
  readonly tables: ReadonlyMap<string, TableSourceDefinition>;
  readonly #sourceByTopic: Map<string, SourceNode>;
  readonly #tableByTopic: Map<string, TableSourceDefinition>;

  constructor(
    nodes: Map<string, TopologyNode>,
    stores: Map<string, StoreDefinition>,
    tables: Map<string, TableSourceDefinition> = new Map(),
  ) {
    this.nodes = nodes;
    this.stores = stores;
    this.tables = tables;
    this.#sourceByTopic = new Map();
    for (const node of nodes.values()) {
      if (node.kind === 'source') for (const t of node.topics) this.#sourceByTopic.set(t, node);
    }
    this.#tableByTopic = new Map([...tables.values()].map((t) => [t.topic, t]));
  }

  /**
   * Every input topic: those of stream sources, then those of table sources. All are co-partitioned
   * (task 0_p reads partition p of each) and consumed by the group, offsets committed with each task.
   */
  get sourceTopics(): string[] {
    return [...this.#sourceByTopic.keys(), ...this.#tableByTopic.keys()];
  }

  /** Each input topic with the configs it should have: a table's topic is compacted. */
  get sourceTopicConfigs(): Map<string, Record<string, string>> {
    const configs = new Map<string, Record<string, string>>();
    for (const topic of this.#sourceByTopic.keys()) configs.set(topic, {});
    for (const topic of this.#tableByTopic.keys()) configs.set(topic, { ...TABLE_TOPIC_CONFIGS });
    return configs;
  }

  get sinkTopics(): string[] {
    return [...new Set(this.#sinks().map((n) => n.topic))];
  }

  /** Each output topic with the configs its sinks ask for (merged, when several sinks share it). */
  get sinkTopicConfigs(): Map<string, Record<string, string>> {
    const configs = new Map<string, Record<string, string>>();
    for (const sink of this.#sinks()) {
      configs.set(sink.topic, { ...(configs.get(sink.topic) ?? {}), ...sink.topicConfigs });
    }
    return configs;
  }

  #sinks(): SinkNode[] {
    return [...this.nodes.values()].filter((n): n is SinkNode => n.kind === 'sink');
  }

  /** What each task of this topology opens in its state manager. */
  get storeSpecs(): StoreSpec[] {
    return [...this.stores.values()].map((s) => ({
      name: s.name,
      kind: s.kind,
      retentionMs: s.retentionMs,
      ttlMs: s.ttlMs,
      cached: s.cached,
      writtenPerRecord: s.writtenPerRecord,
      ...(s.table === undefined ? {} : { logged: false }),
    }));
  }

  sourceFor(topic: string): SourceNode | undefined {
    return this.#sourceByTopic.get(topic);
  }

  tableFor(topic: string): TableSourceDefinition | undefined {
    return this.#tableByTopic.get(topic);
  }

  node(name: string): TopologyNode {
    const node = this.nodes.get(name);
    if (!node) throw new TopologyError(`no node named '${name}'`);
    return node;
  }

  /** A text description: topics, processors, stores and their changelogs, as `saldo describe` prints it. */
  describe(applicationId: string): string {
    return describeTopology(this, applicationId);
  }
}

/**
 * Declares a topology: sources with serdes, processors reading and writing stores, sinks.
 *
 * A store is declared once, as a typed reference (processor/store-refs.ts: `keyValueStore`,
 * `ttlKeyValueStore`, `windowedStore`), which the topology adds, the processors that use it list,
 * and they read it through:
 *
 *   const totals = keyValueStore('totals', { keySerde: stringSerde, valueSerde: totalsSerde });
 *
 *   class Counter implements Processor<string, Payment, string, Totals> {
 *     #totals!: KeyValueStore<string, Totals>;
 *     init(ctx) { this.#totals = ctx.store(totals); }  // typed by the ref: no name, no cast
 *     process(record, ctx) { … this.#totals.get(record.key) … }
 *   }
 *
 *   new TopologyBuilder()
 *     .addSource('payments', { topics: ['payments'], keySerde, valueSerde })
 *     .addStore(totals)
 *     .addProcessor('count', { parents: ['payments'], stores: [totals], create: () => new Counter() })
 *     .addSink('out', { parents: ['count'], topic: 'totals', keySerde, valueSerde })
 *     .build();
 *
 * The store's name names its changelog topic and its directory. A processor reads only the refs it
 * lists, and the topology accepts only the refs it was given (the objects, not their names).
 * A ref that needs settings (a TTL) is declared where they are known and handed to its processors.
 */
export class TopologyBuilder {
  readonly #nodes = new Map<string, TopologyNode>();
  readonly #stores = new Map<string, StoreDefinition>();
  readonly #tables = new Map<string, TableSourceDefinition>();

  #addNode(node: TopologyNode): this {
    if (this.#nodes.has(node.name) || this.#tables.has(node.name))
      throw new TopologyError(`duplicate node name '${node.name}'`);
    if (!/^[A-Za-z0-9._-]+$/.test(node.name))
      throw new TopologyError(`node name '${node.name}' may use only letters, digits, '.', '_' and '-'`);
    this.#nodes.set(node.name, node);
    return this;
  }

  addSource<K, V>(
    name: string,
    opts: {
      topics: string[];
      keySerde: RecordSerde<K>;
      valueSerde: RecordSerde<V>;
      timestampOf?: (value: V, recordTimestamp: number) => number;
      maxTimestampAheadMs?: number;
    },
  ): this {
    if (opts.topics.length === 0) throw new TopologyError(`source '${name}' has no topics`);
    const ahead = opts.maxTimestampAheadMs;
    if (ahead !== undefined && !(Number.isSafeInteger(ahead) && ahead >= 0))
      throw new TopologyError(
        `source '${name}' needs a whole, non-negative maxTimestampAheadMs, got ${ahead}`,
      );
    return this.#addNode({
      kind: 'source',
      name,
      topics: [...opts.topics],
      keySerde: opts.keySerde as RecordSerde<unknown>,
      valueSerde: opts.valueSerde as RecordSerde<unknown>,
      ...(opts.timestampOf === undefined
        ? {}
        : { timestampOf: opts.timestampOf as (value: unknown, recordTimestamp: number) => number }),
      ...(ahead === undefined ? {} : { maxTimestampAheadMs: ahead }),
      children: [],
    });
  }

  /**
   * A table (Kafka Streams' KTable over a source topic): each record of partition p of `topic`
   * is written into the key-value store `store` (a ref) of task 0_p (a null value deletes the key).
   * The table adds that store: processors list the ref in `stores` and read it through
   * `ctx.store(ref)`; they cannot write it. The topic is the store's changelog (there is no second
   * one); a task reads its table partitions up to their end before it processes any stream record,
   * then takes new table records in timestamp order with the stream records. See
   * processor/table-source.ts.
   */
  addTableSource<K, V>(name: string, opts: TableSourceOptions<K, V>): this {
    if (this.#tables.has(name) || this.#nodes.has(name))
      throw new TopologyError(`duplicate name '${name}' (table sources share the names of nodes)`);
    const { table, store } = tableSourceDefinition(name, opts);
    this.#addStoreDefinition(store);
    this.#tables.set(name, table);
    return this;
  }

  addProcessor<KIn, VIn, KOut, VOut>(
    name: string,
    opts: {
      parents: string[];
      /** The stores it reads or writes, by the refs they were declared with. */
      stores?: readonly StoreRef[];
      create: () => Processor<KIn, VIn, KOut, VOut>;
    },
  ): this {
    return this.#addNode({
      kind: 'processor',
      name,
      parents: [...opts.parents],
      stores: [...(opts.stores ?? [])],
      create: opts.create as () => Processor,
      children: [],
    });
  }

  addSink<K, V>(
    name: string,
    opts: {
      parents: string[];
      topic: string;
      keySerde: RecordSerde<K>;
      valueSerde: RecordSerde<V>;
      topicConfigs?: Record<string, string>;
    },
  ): this {
    return this.#addNode({
      kind: 'sink',
      name,
      parents: [...opts.parents],
      topic: opts.topic,
      keySerde: opts.keySerde as RecordSerde<unknown>,
      valueSerde: opts.valueSerde as RecordSerde<unknown>,
      topicConfigs: { ...(opts.topicConfigs ?? {}) },
      children: [],
    });
  }

  /** A store the processors that list its ref read and write (processor/store-refs.ts declares one). */
  addStore(store: StoreRef): this {
    return this.#addStoreDefinition(storeDefinitionOf(store));
  }

  #addStoreDefinition(definition: StoreDefinition): this {
    if (this.#stores.has(definition.name))
      throw new TopologyError(`duplicate store name '${definition.name}'`);
    this.#stores.set(definition.name, definition);
    return this;
  }

  build(): Topology {
    const nodes = new Map<string, TopologyNode>();
    for (const [name, node] of this.#nodes) nodes.set(name, { ...node, children: [] } as TopologyNode);
    for (const node of nodes.values()) {
      if (node.kind === 'source') continue;
      if (node.parents.length === 0) throw new TopologyError(`${node.kind} '${node.name}' has no parents`);
      for (const parentName of node.parents) {
        const parent = nodes.get(parentName);
        if (!parent)
          throw new TopologyError(`${node.kind} '${node.name}' names unknown parent '${parentName}'`);
        if (parent.kind === 'sink')
          throw new TopologyError(`sink '${parentName}' cannot have children ('${node.name}')`);
        parent.children.push(node.name);
      }
      if (node.kind === 'processor') {
        for (const store of node.stores) {
          const declared = this.#stores.get(store.name);
          if (declared === undefined) throw new UndeclaredStoreError(node.name, store.name, 'unknown-store');
          if (declared.ref !== store) throw new UndeclaredStoreError(node.name, store.name, 'foreign-ref');
        }
      }
    }
    const topics = new Set<string>();
    for (const node of nodes.values()) {
      if (node.kind !== 'source') continue;
      for (const t of node.topics) {
        if (topics.has(t)) throw new TopologyError(`topic '${t}' is read by more than one source`);
        topics.add(t);
      }
    }
    if (topics.size === 0) throw new TopologyError('a topology needs at least one source');
    for (const table of this.#tables.values()) {
      if (topics.has(table.topic))
        throw new TopologyError(
          `topic '${table.topic}' is read by more than one source (table '${table.name}')`,
        );
      topics.add(table.topic);
    }
    const used = new Set(
      [...nodes.values()].flatMap((n) => (n.kind === 'processor' ? n.stores.map((s) => s.name) : [])),
    );
    for (const store of this.#stores.keys()) {
      if (!used.has(store)) throw new TopologyError(`store '${store}' is not connected to any processor`);
    }
    return new Topology(nodes, new Map(this.#stores), new Map(this.#tables));
  }
}
