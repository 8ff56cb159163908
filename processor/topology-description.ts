import { changelogTopicFor, deadLetterTopicFor } from './internal-topics.ts';
import type { TableSourceDefinition } from './table-source.ts';
import type { Topology } from './topology.ts';

/** A topology as data: what `saldo describe --json` prints and the text form is drawn from. */
export interface TopologyDescription {
  readonly applicationId: string;
  readonly nodes: ReadonlyArray<
    | { kind: 'source'; name: string; topics: string[]; key: string; value: string; children: string[] }
    | { kind: 'processor'; name: string; stores: string[]; parents: string[]; children: string[] }
    | { kind: 'sink'; name: string; topic: string; key: string; value: string; parents: string[] }
  >;
  readonly tables: ReadonlyArray<{ name: string; topic: string; key: string; value: string; store: string }>;
  readonly stores: ReadonlyArray<{
    name: string;
    kind: string;
    readOnly: boolean;
    retentionMs?: number;
    ttlMs?: number;
    /** Its changelog topic; a table's store has its input topic as changelog. */
    changelog: string;
  }>;
  readonly deadLetterTopic: string;
}

export function topologyDescriptionOf(topology: Topology, applicationId: string): TopologyDescription {
  const nodes = [...topology.nodes.values()].map((node) => {
    if (node.kind === 'source') {
      return {
        kind: 'source' as const,
        name: node.name,
        topics: [...node.topics],
        key: node.keySerde.name,
        value: node.valueSerde.name,
        children: [...node.children],
      };
    }
    if (node.kind === 'processor') {
      return {
        kind: 'processor' as const,
        name: node.name,
        stores: node.stores.map((store) => store.name),
        parents: [...node.parents],
        children: [...node.children],
      };
    }
    return {
      kind: 'sink' as const,
      name: node.name,
      topic: node.topic,
      key: node.keySerde.name,
      value: node.valueSerde.name,
      parents: [...node.parents],
    };
  });
  const tables = [...topology.tables.values()].map((table) => ({
    name: table.name,
    topic: table.topic,
    key: table.keySerde.name,
    value: table.valueSerde.name,
    store: table.store,
  }));
  const stores = [...topology.stores.values()].map((store) => {
    const table =
      store.table === undefined ? undefined : (topology.tables.get(store.table) as TableSourceDefinition);
    return {
      name: store.name,
      kind: store.kind,
      readOnly: table !== undefined,
      ...(store.retentionMs !== undefined ? { retentionMs: store.retentionMs } : {}),
      ...(store.ttlMs !== undefined ? { ttlMs: store.ttlMs } : {}),
      changelog: table !== undefined ? table.topic : changelogTopicFor(applicationId, store.name),
    };
  });
  return { applicationId, nodes, tables, stores, deadLetterTopic: deadLetterTopicFor(applicationId) };
}

/**
 * The text `Topology.describe()` returns and `saldo describe` prints: sources, processors with
 * their stores, sinks, tables, then each store with its changelog, then the dead-letter topic.
 */
export function describeTopology(topology: Topology, applicationId: string): string {
  const description = topologyDescriptionOf(topology, applicationId);
  const lines: string[] = [
    `Topology of '${applicationId}'`,
    '  Sub-topology 0 (one task per input partition)',
  ];
  for (const node of description.nodes) {
    if (node.kind === 'source') {
      const next = node.children.length > 0 ? ` --> ${node.children.join(', ')}` : '';
      lines.push(
        `    Source: ${node.name} (topics: [${node.topics.join(', ')}], key: ${node.key}, value: ${node.value})${next}`,
      );
    } else if (node.kind === 'processor') {
      const next = node.children.length > 0 ? ` --> ${node.children.join(', ')}` : '';
      lines.push(
        `    Processor: ${node.name} (stores: [${node.stores.join(', ')}]) <-- ${node.parents.join(', ')}${next}`,
      );
    } else {
      lines.push(
        `    Sink: ${node.name} (topic: ${node.topic}, key: ${node.key}, value: ${node.value}) <-- ${node.parents.join(', ')}`,
      );
    }
  }
  for (const t of description.tables) {
    lines.push(
      `    Table: ${t.name} (topic: ${t.topic}, key: ${t.key}, value: ${t.value}) --> store ${t.store}`,
    );
  }
  if (description.stores.length > 0) lines.push('  Stores');
  for (const store of description.stores) {
    if (store.readOnly) {
      lines.push(
        `    ${store.name} (${store.kind}, read-only) changelog: ${store.changelog} (the table's input)`,
      );
      continue;
    }
    const retention =
      store.retentionMs !== undefined
        ? `, retention ${store.retentionMs} ms`
        : store.ttlMs !== undefined
          ? `, ttl ${store.ttlMs} ms`
          : '';
    lines.push(`    ${store.name} (${store.kind}${retention}) changelog: ${store.changelog}`);
  }
  lines.push(`  Dead letters: ${description.deadLetterTopic}`);
  return lines.join('\n');
}
