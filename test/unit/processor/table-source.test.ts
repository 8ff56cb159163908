import { describe, expect, it } from 'vitest';
import {
  DLQ_HEADERS,
  EngineMetrics,
  TopologyBuilder,
  TopologyError,
  createLogger,
  keyValueStore,
  recordSerde,
  type ProcessorContext,
  type StreamRecord,
} from '../../../processor/index.ts';
import type { AdminClient, ChangelogReader } from '../../../processor/kafka/client.ts';
import type { ConsumedRecord, OutgoingRecord } from '../../../processor/records.ts';
import { bootstrapTables } from '../../../processor/table-bootstrap.ts';
import type { StreamTask } from '../../../processor/task.ts';
import { jsonSerde, stringSerde } from '../../../state/index.ts';
import { runningTask } from './task-fixture.ts';

const strings = recordSerde(stringSerde, 'string');
const numbers = recordSerde(jsonSerde<number>(), 'json');

/** Transactions checked against a table of limits: each output says the amount and the limit seen. */
function limitsTopology(opts: { writeTheTable?: boolean } = {}) {
  const limitsStore = keyValueStore('limits', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
  return new TopologyBuilder()
    .addSource('tx', { topics: ['tx'], keySerde: strings, valueSerde: numbers })
    .addTableSource('limits', {
      topic: 'limits',
      keySerde: strings,
      valueSerde: numbers,
      store: limitsStore,
    })
    .addProcessor('check', {
      parents: ['tx'],
      stores: [limitsStore],
      create: () => ({
        process(record: StreamRecord<string, number>, ctx: ProcessorContext<string, string>) {
          const limits = ctx.store(limitsStore);
          if (opts.writeTheTable === true) limits.put(record.key ?? '', 0);
          const limit = limits.get(record.key ?? '');
          ctx.forward({ key: record.key, value: `${record.value}/${limit ?? 'none'}` });
        },
      }),
    })
    .addSink('out', { parents: ['check'], topic: 'out', keySerde: strings, valueSerde: strings })
    .build();
}

function record(topic: string, offset: number, key: string | null, value: string | null, timestamp = 1_000) {
  return {
    topic,
    partition: 0,
    offset,
    timestamp,
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    headers: {},
  } satisfies ConsumedRecord;
}

const outputsOf = (records: OutgoingRecord[], topic = 'out') =>
  records.filter((r) => r.topic === topic).map((r) => `${r.key?.toString()}=${r.value?.toString()}`);

const header = (r: OutgoingRecord | undefined, name: string) => r?.headers?.[name]?.toString();

describe('declaring a table source', () => {
  it('is an input topic with a read-only store, and describe() shows both', () => {
    const topology = limitsTopology();
    expect(topology.sourceTopics).toEqual(['tx', 'limits']);
    expect(topology.sourceTopicConfigs).toEqual(
      new Map([
        ['tx', {}],
        ['limits', { 'cleanup.policy': 'compact' }],
      ]),
    );
    expect(topology.storeSpecs).toEqual([
      {
        name: 'limits',
        kind: 'key-value',
        retentionMs: undefined,
        ttlMs: undefined,
        cached: undefined,
        logged: false,
      },
    ]);
    const text = topology.describe('fraud');
    expect(text).toContain('Table: limits (topic: limits, key: string, value: json) --> store limits');
    expect(text).toContain("limits (key-value, read-only) changelog: limits (the table's input)");
    expect(text).not.toContain('fraud-limits-changelog');
  });

  it('rejects a table topic another source reads, a name taken by a node, and a bad topic name', () => {
    const table = { keySerde: strings, valueSerde: numbers };
    const store = (name: string) =>
      keyValueStore(name, { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
    const s = store('s');
    const base = () => new TopologyBuilder().addSource('tx', { topics: ['tx'], ...table });
    expect(() =>
      base()
        .addTableSource('t', { topic: 'tx', ...table, store: s })
        .addProcessor('p', { parents: ['tx'], stores: [s], create: () => ({ process() {} }) })
        .build(),
    ).toThrow(/read by more than one source/);
    expect(() => base().addTableSource('tx', { topic: 'limits', ...table, store: store('s') })).toThrow(
      TopologyError,
    );
    expect(() => base().addTableSource('t', { topic: 'a b', ...table, store: store('s') })).toThrow(
      /invalid topic/,
    );
    // A table nobody reads is a mistake, as any store no processor uses.
    expect(() =>
      base()
        .addTableSource('t', { topic: 'limits', ...table, store: store('s') })
        .build(),
    ).toThrow(/not connected/);
  });
});

describe('a task with a table source', () => {
  it('applies table records to the store processors read; a null value deletes the key', async () => {
    const { task, unit, state } = await runningTask(limitsTopology());
    await task.process(record('tx', 0, 'acct-1', '10'));
    await task.process(record('limits', 0, 'acct-1', '500'));
    await task.process(record('tx', 1, 'acct-1', '20'));
    await task.process(record('limits', 1, 'acct-1', null));
    await task.process(record('tx', 2, 'acct-1', '30'));
    await task.commit();
    const commit = unit.commits[0];
    expect(outputsOf(commit?.records ?? [])).toEqual(['acct-1=10/none', 'acct-1=20/500', 'acct-1=30/none']);
    // No second changelog: the store's checkpoint is the next offset of its topic.
    expect(commit?.records.filter((r) => r.topic.endsWith('-changelog'))).toEqual([]);
    expect(state.checkpoint('limits')).toBe(2n);
    expect(commit?.offsets.map((o) => [o.topic, o.offset])).toEqual([
      ['tx', 3],
      ['limits', 2],
    ]);
  });

  it('keeps the store and its checkpoint across commits, and on LevelDB', async () => {
    const { task, state } = await runningTask(limitsTopology());
    await task.process(record('limits', 4, 'acct-1', '500'));
    await task.process(record('limits', 5, 'acct-2', '700'));
    await task.commit();
    expect(state.checkpoint('limits')).toBe(6n);
    expect(state.committedBytes('limits', Buffer.from('acct-2'))?.toString()).toBe('700');
    // A commit without table records leaves the checkpoint where it is.
    await task.process(record('tx', 0, 'acct-1', '1'));
    await task.commit();
    expect(state.checkpoint('limits')).toBe(6n);
  });

  it('refuses processor writes to the table store: the record becomes a dead letter', async () => {
    const { task, unit } = await runningTask(limitsTopology({ writeTheTable: true }));
    await task.process(record('tx', 0, 'acct-1', '10'));
    await task.commit();
    const [dead] = unit.commits[0]?.records ?? [];
    expect(dead?.topic).toBe('task-test-dlq');
    expect(header(dead, DLQ_HEADERS.reason)).toBe('processing');
    expect(header(dead, DLQ_HEADERS.errorClass)).toBe('ReadOnlyStoreError');
  });

  it('sends bad table records to the dead-letter topic with reason and origin, and moves past them', async () => {
    const { task, unit, state } = await runningTask(limitsTopology());
    await task.process(record('limits', 0, 'acct-1', '{not json'));
    await task.process(record('limits', 1, null, '500'));
    await task.process(record('limits', 2, 'acct-2', '700'));
    await task.commit();
    const dead = unit.commits[0]?.records.filter((r) => r.topic === 'task-test-dlq') ?? [];
    expect(dead.map((r) => header(r, DLQ_HEADERS.reason))).toEqual(['deserialization', 'invalid']);
    expect(dead.map((r) => header(r, DLQ_HEADERS.topic))).toEqual(['limits', 'limits']);
    expect(dead.map((r) => header(r, DLQ_HEADERS.offset))).toEqual(['0', '1']);
    expect(header(dead[1], DLQ_HEADERS.errorCode)).toBe('table-null-key');
    expect(state.checkpoint('limits')).toBe(3n);
    expect(state.committedBytes('limits', Buffer.from('acct-2'))?.toString()).toBe('700');
  });
});

/** An admin that knows only offset ranges, and a reader over in-memory partitions. */
function fakeKafka(log: Map<string, ConsumedRecord[]>, ranges: Map<string, { start: number; end: number }>) {
  const reads: Array<{ topic: string; from: number; to: number }> = [];
  const admin = {
    offsetRange: async (tps: Array<{ topic: string; partition: number }>) =>
      new Map(tps.map((tp) => [`${tp.topic}:${tp.partition}`, ranges.get(tp.topic) ?? { start: 0, end: 0 }])),
  } as unknown as AdminClient;
  const reader: ChangelogReader = {
    async read(wanted, onRecords) {
      for (const w of wanted) {
        reads.push({ topic: w.topic, from: w.from, to: w.to });
        const records = (log.get(w.topic) ?? []).filter((r) => r.offset >= w.from && r.offset < w.to);
        if (records.length > 0) await onRecords(records);
      }
    },
  };
  return { admin, reader, reads };
}

async function bootstrap(task: StreamTask, kafka: ReturnType<typeof fakeKafka>) {
  return bootstrapTables(task, {
    admin: kafka.admin,
    reader: kafka.reader,
    logger: createLogger({ level: 'silent' }),
    metrics: new EngineMetrics(),
    heartbeat: async () => undefined,
  });
}

describe('bootstrapping a table before processing', () => {
  const limitsLog = () =>
    new Map([
      [
        'limits',
        [
          record('limits', 0, 'acct-1', '100', 5_000),
          record('limits', 1, 'acct-2', '{bad', 5_001),
          record('limits', 2, 'acct-1', '300', 9_000),
          record('limits', 3, 'acct-3', '{bad', 9_001),
        ],
      ],
    ]);

  it('reads the topic from the beginning to its end without moving stream time, then goes on from the end', async () => {
    const { task, unit, state } = await runningTask(limitsTopology());
    const kafka = fakeKafka(limitsLog(), new Map([['limits', { start: 0, end: 4 }]]));
    const summary = await bootstrap(task, kafka);
    expect(kafka.reads).toEqual([{ topic: 'limits', from: 0, to: 4 }]);
    expect(summary.read.get('limits')).toBe(4);
    expect(task.streamTime).toBe(-1);
    expect(task.nextOffset('limits')).toBe(4);
    await task.process(record('tx', 0, 'acct-1', '10', 1_000));
    await task.commit();
    const commit = unit.commits[0];
    expect(outputsOf(commit?.records ?? [])).toEqual(['acct-1=10/300']);
    expect(
      commit?.records.filter((r) => r.topic === 'task-test-dlq').map((r) => header(r, DLQ_HEADERS.offset)),
    ).toEqual(['1', '3']);
    expect(state.checkpoint('limits')).toBe(4n);
    expect(task.streamTime).toBe(1_000);
  });

  it('reads only from the checkpoint on, and re-reads below the committed offset without new dead letters', async () => {
    const first = await runningTask(limitsTopology());
    const kafka = fakeKafka(limitsLog(), new Map([['limits', { start: 0, end: 2 }]]));
    await bootstrap(first.task, kafka);
    await first.task.commit();
    expect(first.state.checkpoint('limits')).toBe(2n);
    await first.task.close();

    // Restarted on the same local state: only the tail is read.
    const again = await runningTask(limitsTopology(), { stateDir: first.state.stateDir });
    const tail = fakeKafka(limitsLog(), new Map([['limits', { start: 0, end: 4 }]]));
    await bootstrap(again.task, tail);
    expect(tail.reads).toEqual([{ topic: 'limits', from: 2, to: 4 }]);
    await again.task.close();

    // Without local state but with offsets committed up to 2: everything is read again, and only
    // the bad record from 2 on becomes a dead letter (the one at 1 was sent by that commit).
    const fresh = await runningTask(limitsTopology(), {
      committed: new Map([['limits:0', { offset: 2, metadata: null }]]),
    });
    const all = fakeKafka(limitsLog(), new Map([['limits', { start: 0, end: 4 }]]));
    await bootstrap(fresh.task, all);
    expect(all.reads).toEqual([{ topic: 'limits', from: 0, to: 4 }]);
    await fresh.task.commit();
    const dead = fresh.unit.commits[0]?.records.filter((r) => r.topic === 'task-test-dlq') ?? [];
    expect(dead.map((r) => header(r, DLQ_HEADERS.offset))).toEqual(['3']);
    expect(fresh.unit.commits[0]?.offsets.find((o) => o.topic === 'limits')?.offset).toBe(4);
  });

  it('reads the topic anew when the checkpoint is beyond its end (the topic was recreated)', async () => {
    const first = await runningTask(limitsTopology());
    await first.task.process(record('limits', 9, 'acct-9', '900'));
    await first.task.commit();
    await first.task.close();
    const again = await runningTask(limitsTopology(), { stateDir: first.state.stateDir });
    const kafka = fakeKafka(limitsLog(), new Map([['limits', { start: 0, end: 4 }]]));
    await bootstrap(again.task, kafka);
    expect(kafka.reads).toEqual([{ topic: 'limits', from: 0, to: 4 }]);
    await again.task.commit();
    expect(again.state.committedBytes('limits', Buffer.from('acct-9'))).toBeUndefined();
    expect(again.state.checkpoint('limits')).toBe(4n);
  });
});
