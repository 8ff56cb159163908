import { changelogTopicFor, deadLetterTopicFor } from './internal-topics.ts';
import { describeTable, type TableSourceDefinition } from './table-source.ts';
import type { Topology } from './topology.ts';

/**
 * The text `Topology.describe()` returns and `saldo describe` prints: sources, processors with
 * their stores, sinks, tables, then each store with its changelog, then the dead-letter topic.
 */
export function describeTopology(topology: Topology, applicationId: string): string {
  const lines: string[] = [
    `Topology of '${applicationId}'`,
    '  Sub-topology 0 (one task per input partition)',
  ];
  for (const node of topology.nodes.values()) {
    const next = node.children.length > 0 ? ` --> ${node.children.join(', ')}` : '';
    if (node.kind === 'source') {
      lines.push(
        `    Source: ${node.name} (topics: [${node.topics.join(', ')}], key: ${node.keySerde.name}, value: ${node.valueSerde.name})${next}`,
      );
    } else if (node.kind === 'processor') {
      const stores = node.stores.map((store) => store.name).join(', ');
      lines.push(`    Processor: ${node.name} (stores: [${stores}]) <-- ${node.parents.join(', ')}${next}`);
    } else {
      lines.push(
        `    Sink: ${node.name} (topic: ${node.topic}, key: ${node.keySerde.name}, value: ${node.valueSerde.name}) <-- ${node.parents.join(', ')}`,
      );
    }
  }
  for (const table of topology.tables.values()) lines.push(`    ${describeTable(table)}`);
  if (topology.stores.size > 0) lines.push('  Stores');
  for (const store of topology.stores.values()) {
    if (store.table !== undefined) {
      const table = topology.tables.get(store.table) as TableSourceDefinition;
      lines.push(
        `    ${store.name} (${store.kind}, read-only) changelog: ${table.topic} (the table's input)`,
      );
      continue;
    }
    const retention =
      store.retentionMs !== undefined
        ? `, retention ${store.retentionMs} ms`
        : store.ttlMs !== undefined
          ? `, ttl ${store.ttlMs} ms`
          : '';
    lines.push(
      `    ${store.name} (${store.kind}${retention}) changelog: ${changelogTopicFor(applicationId, store.name)}`,
    );
  }
  lines.push(`  Dead letters: ${deadLetterTopicFor(applicationId)}`);
  return lines.join('\n');
}
