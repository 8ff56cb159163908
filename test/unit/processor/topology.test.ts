import { describe, expect, it } from 'vitest';
import { stringSerde, jsonSerde } from '../../../state/index.ts';
import { TopologyBuilder, TopologyError, keyValueStore, recordSerde } from '../../../processor/index.ts';
import { topologyDescriptionOf } from '../../../processor/topology-description.ts';
import { countingTopology } from '../../../topologies/counting.ts';
import { productTopology } from '../../../topologies/product.ts';
import { InMemoryAvroRegistry, productSerdes } from '../../../schemas/index.ts';

const keySerde = recordSerde(stringSerde, 'string');
const valueSerde = recordSerde(jsonSerde<unknown>(), 'json');
const storeNamed = (name: string) => keyValueStore(name, { keySerde: stringSerde, valueSerde: stringSerde });

describe('declaring a topology', () => {
  it('describes topics, processors, stores and their changelogs', () => {
    const text = countingTopology({ input: 'transactions', output: 'account-totals' }).describe('balances');
    expect(text).toContain(
      'Source: transactions (topics: [transactions], key: string, value: json) --> count',
    );
    expect(text).toContain('Processor: count (stores: [totals]) <-- transactions --> totals-out');
    expect(text).toContain('Sink: totals-out (topic: account-totals, key: string, value: json) <-- count');
    expect(text).toContain('totals (key-value) changelog: balances-totals-changelog');
    expect(text).toContain('Dead letters: balances-dlq');
  });

  it('describes itself as data too (saldo describe --json): nodes, tables, stores with their changelogs', () => {
    const product = productTopology({ serdes: productSerdes(new InMemoryAvroRegistry()) });
    const description = topologyDescriptionOf(product, 'bank');
    expect(description.nodes.find((n) => n.name === 'fraud')).toEqual({
      kind: 'processor',
      name: 'fraud',
      stores: ['account-limits', 'balances'],
      parents: ['admit'],
      children: ['fraud-alerts-out'],
    });
    expect(description.tables.map((t) => [t.topic, t.store])).toEqual([['account-limits', 'account-limits']]);
    expect(description.stores.find((s) => s.name === 'account-limits')).toMatchObject({
      readOnly: true,
      changelog: 'account-limits',
    });
    expect(description.stores.find((s) => s.name === 'holds')).toMatchObject({
      kind: 'ttl-key-value',
      readOnly: false,
      changelog: 'bank-holds-changelog',
    });
    expect(description.deadLetterTopic).toBe('bank-dlq');
    // The stores written for every transaction get LevelDB's larger write buffer (memory-budget.ts).
    expect(product.storeSpecs.filter((s) => s.writtenPerRecord === true).map((s) => s.name)).toEqual([
      'transaction-ids',
      'balances',
    ]);
    // The text form is drawn from the same data.
    expect(product.describe('bank')).toContain(
      "account-limits (key-value, read-only) changelog: account-limits (the table's input)",
    );
  });

  it('rejects unknown parents, unknown stores, orphan stores and duplicate names', () => {
    const base = () => new TopologyBuilder().addSource('in', { topics: ['t'], keySerde, valueSerde });
    expect(() =>
      base()
        .addProcessor('p', { parents: ['nope'], create: () => ({ process() {} }) })
        .build(),
    ).toThrow(TopologyError);
    expect(() =>
      base()
        .addProcessor('p', { parents: ['in'], stores: [storeNamed('s')], create: () => ({ process() {} }) })
        .build(),
    ).toThrow(/unknown store 's'/);
    expect(() => base().addStore(storeNamed('s')).build()).toThrow(/not connected/);
    expect(() => base().addSource('in', { topics: ['u'], keySerde, valueSerde })).toThrow(
      /duplicate node name/,
    );
    expect(() =>
      base()
        .addSource('in2', { topics: ['t'], keySerde, valueSerde })
        .build(),
    ).toThrow(/read by more than one source/);
  });

  it('rejects store names that cannot name a changelog topic', () => {
    expect(() => new TopologyBuilder().addStore(storeNamed('a b'))).toThrow(/store name/);
  });
});
