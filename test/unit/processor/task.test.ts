import { describe, expect, it } from 'vitest';
import type { EngineMetrics } from '../../../processor/index.ts';
import {
  TopologyBuilder,
  keyValueStore,
  recordSerde,
  windowedStore,
  type ProcessorContext,
  type RecordOrigin,
  type RecordSerde,
  type StreamRecord,
} from '../../../processor/index.ts';
import type { ConsumedRecord } from '../../../processor/records.ts';
import { jsonSerde, stringSerde } from '../../../state/index.ts';
import { countingTopology } from '../../../topologies/counting.ts';
import { runningTask } from './task-fixture.ts';

function consumed(topic: string, offset: number, key: string, value: unknown): ConsumedRecord {
  return {
    topic,
    partition: 0,
    offset,
    timestamp: 1_000 + offset,
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify(value)),
    headers: {},
  };
}

const transaction = (offset: number, account: string, amountMinor: string) =>
  consumed('in', offset, account, { txId: `t${offset}`, amountMinor, currency: 'MXN' });

async function processedCount(metrics: EngineMetrics): Promise<number> {
  const metric = await metrics.recordsProcessed.get();
  return metric.values.reduce((sum, value) => sum + value.value, 0);
}

/** A serde that answers through a promise, as a schema-registry serde does on first use. */
function later<T>(serde: RecordSerde<T>): RecordSerde<T> {
  return {
    name: `later-${serde.name}`,
    serialize: async (value, ctx) => serde.serialize(value, ctx),
    deserialize: async (bytes, ctx) => serde.deserialize(bytes, ctx),
  };
}

describe('StreamTask', () => {
  it('adds processed records to the metrics once per commit, and also when work is discarded', async () => {
    const { task, metrics } = await runningTask(countingTopology({ input: 'in', output: 'out' }));
    await task.process(transaction(0, 'acct-1', '5'));
    await task.process(transaction(1, 'acct-1', '7'));
    expect(await processedCount(metrics)).toBe(0);
    await task.commit();
    expect(await processedCount(metrics)).toBe(2);
    await task.process(transaction(2, 'acct-1', '1'));
    task.discardUncommitted();
    expect(await processedCount(metrics)).toBe(3);
  });

  it('returns the committed outputs for post-commit hooks, unless told nobody wants them', async () => {
    const topology = countingTopology({ input: 'in', output: 'out' });
    const collecting = await runningTask(topology);
    await collecting.task.process(transaction(0, 'acct-1', '5'));
    const outcome = await collecting.task.commit();
    expect(outcome.outputs.map((o) => [o.topic, o.key])).toEqual([['out', 'acct-1']]);

    const silent = await runningTask(topology, { collectCommittedOutputs: false });
    await silent.task.process(transaction(0, 'acct-1', '5'));
    const quiet = await silent.task.commit();
    expect(quiet).toMatchObject({ committed: true, records: 1, outputs: [] });
    expect(silent.unit.commits[0]?.records.filter((r) => r.topic === 'out')).toHaveLength(1);
  });

  it('commits its stream time with the offsets, and a task started from them goes on from it', async () => {
    const topology = countingTopology({ input: 'in', output: 'out' });
    const first = await runningTask(topology);
    await first.task.process(transaction(7, 'acct-1', '5')); // timestamp 1,007
    await first.task.process(transaction(8, 'acct-1', '5'));
    await first.task.commit();
    expect(first.unit.commits[0]?.offsets).toEqual([
      { topic: 'in', partition: 0, offset: 9, metadata: 'saldo:1:1008' },
    ]);

    const committed = new Map([['in:0', { offset: 9, metadata: 'saldo:1:1008' }]]);
    const next = await runningTask(topology, { committed });
    expect(next.task.streamTime).toBe(1_008);
    // A newer record moves it on; the offsets go on from the committed ones.
    await next.task.process(transaction(9, 'acct-1', '5')); // timestamp 1,009
    await next.task.commit();
    expect(next.task.streamTime).toBe(1_009);
    expect(next.unit.commits[0]?.offsets).toEqual([
      { topic: 'in', partition: 0, offset: 10, metadata: 'saldo:1:1009' },
    ]);

    // Metadata that is not saldo's (another tool committed) leaves the stream time unknown.
    const foreign = await runningTask(topology, {
      committed: new Map([['in:0', { offset: 9, metadata: 'committed by kafka-consumer-groups' }]]),
    });
    expect(foreign.task.streamTime).toBe(-1);
  });

  it('handles a record of synchronous serdes and processors before process() returns', async () => {
    const { task, unit } = await runningTask(countingTopology({ input: 'in', output: 'out' }));
    const done = task.process(transaction(0, 'acct-1', '5'));
    expect(task.hasUncommittedWork).toBe(true);
    await done;
    await task.commit();
    expect(unit.commits[0]?.offsets).toEqual([
      { topic: 'in', partition: 0, offset: 1, metadata: 'saldo:1:1000' },
    ]);
  });

  it('processNow() answers undefined for a record it handled synchronously, else a promise of the rest', async () => {
    const { task } = await runningTask(countingTopology({ input: 'in', output: 'out' }));
    expect(task.processNow(transaction(0, 'acct-1', '5'))).toBeUndefined();
    expect(task.processNow(transaction(0, 'acct-1', '5'))).toBeUndefined(); // a duplicate: skipped
    expect(() => task.processNow(consumed('elsewhere', 0, 'k', 1))).toThrow(/no source for topic/);

    const slow = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: later(recordSerde(stringSerde, 'string')),
        valueSerde: recordSerde(jsonSerde<number>(), 'json'),
      })
      .addProcessor('p', { parents: ['in'], create: () => ({ process() {} }) })
      .build();
    const { task: asyncTask } = await runningTask(slow);
    const rest = asyncTask.processNow(consumed('in', 0, 'k', 1));
    expect(rest).toBeInstanceOf(Promise);
    await rest;
    expect(asyncTask.hasUncommittedWork).toBe(true);
  });

  it('hands each commit its own copy of the input offsets', async () => {
    const { task, unit } = await runningTask(countingTopology({ input: 'in', output: 'out' }));
    await task.process(transaction(0, 'acct-1', '5'));
    await task.commit();
    await task.process(transaction(1, 'acct-1', '5'));
    await task.commit();
    expect(unit.commits.map((c) => c.offsets[0]?.offset)).toEqual([1, 2]);
  });

  it('keeps forwarding order (depth first) through asynchronous serdes and processors', async () => {
    const seen: string[] = [];
    const topology = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: later(recordSerde(stringSerde, 'string')),
        valueSerde: recordSerde(jsonSerde<number>(), 'json'),
      })
      .addProcessor('split', {
        parents: ['in'],
        create: () => ({
          process(record: StreamRecord<string, number>, ctx: ProcessorContext<string, number>) {
            ctx.forward({ key: `${record.key}-a`, value: record.value });
            ctx.forward({ key: `${record.key}-b`, value: record.value });
          },
        }),
      })
      .addProcessor('slow', {
        parents: ['split'],
        create: () => ({
          async process(record: StreamRecord<string, number>, ctx: ProcessorContext<string, number>) {
            await new Promise((resolve) => setTimeout(resolve, 1));
            seen.push(`slow ${record.key}`);
            ctx.forward({ key: record.key, value: (record.value ?? 0) * 10 });
          },
        }),
      })
      .addProcessor('fast', {
        parents: ['split'],
        create: () => ({
          process(record: StreamRecord<string, number>) {
            seen.push(`fast ${record.key}`);
          },
        }),
      })
      .addSink('out', {
        parents: ['slow'],
        topic: 'out',
        keySerde: later(recordSerde(stringSerde, 'string')),
        valueSerde: later(recordSerde(jsonSerde<number>(), 'json')),
      })
      .build();
    const { task, unit } = await runningTask(topology);
    await task.process(consumed('in', 0, 'k', 1));
    await task.commit();
    expect(seen).toEqual(['slow k-a', 'fast k-a', 'slow k-b', 'fast k-b']);
    const outputs = unit.commits[0]?.records.filter((r) => r.topic === 'out') ?? [];
    expect(outputs.map((r) => `${r.key?.toString()}=${r.value?.toString()}`)).toEqual(['k-a=10', 'k-b=10']);
  });

  it('rolls back and dead-letters a record whose asynchronous processor fails after writing and forwarding', async () => {
    const last = keyValueStore('last', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
    const topology = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(jsonSerde<number>(), 'json'),
      })
      .addStore(last)
      .addProcessor('write-then-fail', {
        parents: ['in'],
        stores: [last],
        create: () => ({
          async process(record: StreamRecord<string, number>, ctx: ProcessorContext<string, number>) {
            ctx.store(last).put(record.key as string, record.value as number);
            ctx.forward({ key: record.key, value: record.value });
            await Promise.resolve();
            if ((record.value ?? 0) < 0) throw new RangeError('negative');
          },
        }),
      })
      .addSink('out', {
        parents: ['write-then-fail'],
        topic: 'out',
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(jsonSerde<number>(), 'json'),
      })
      .build();
    const { task, unit } = await runningTask(topology);
    await task.process(consumed('in', 0, 'a', 1));
    await task.process(consumed('in', 1, 'a', -1));
    await task.commit();
    expect(task.keyValueStore<string, number>('last').get('a')).toBe(1);
    const topics = unit.commits[0]?.records.map((r) => r.topic);
    expect(topics).toEqual(['out', 'task-test-dlq', 'task-test-last-changelog']);
  });

  it('gives processors the origin of the record being processed, and none in a punctuation', async () => {
    const origins: Array<RecordOrigin | undefined> = [];
    const topology = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(jsonSerde<number>(), 'json'),
      })
      .addProcessor('look', {
        parents: ['in'],
        create: () => ({
          init(ctx: ProcessorContext) {
            ctx.schedule(1, 'stream-time', () => void origins.push(ctx.origin));
          },
          process(_record: StreamRecord<unknown, unknown>, ctx: ProcessorContext) {
            origins.push(ctx.origin);
            origins.push(ctx.origin);
          },
        }),
      })
      .build();
    const { task } = await runningTask(topology);
    await task.process(consumed('in', 0, 'k', 1));
    await task.process(consumed('in', 7, 'k', 1));
    expect(origins).toEqual([
      { topic: 'in', partition: 0, offset: 0, timestamp: 1_000 },
      { topic: 'in', partition: 0, offset: 0, timestamp: 1_000 },
      { topic: 'in', partition: 0, offset: 7, timestamp: 1_007 },
      { topic: 'in', partition: 0, offset: 7, timestamp: 1_007 },
      undefined,
    ]);
  });

  it("sizes its stores' read caches from stateCacheMaxBytesPerTask", async () => {
    const topology = countingTopology({ input: 'in', output: 'out' });
    const { state } = await runningTask(topology, { stateCacheMaxBytesPerTask: 123_456 });
    expect(state.cacheStats('totals').maxBytes).toBe(123_456);
  });

  it('processes a record with the value its partition group decoded to order it, without decoding again', async () => {
    let decodes = 0;
    const json = recordSerde(jsonSerde<number>(), 'json');
    const counting: RecordSerde<number> = {
      name: 'counting',
      serialize: (value, ctx) => json.serialize(value, ctx),
      deserialize: (bytes, ctx) => {
        decodes += 1;
        return json.deserialize(bytes, ctx);
      },
    };
    const seen: unknown[] = [];
    const topology = new TopologyBuilder()
      .addSource('in', { topics: ['in'], keySerde: recordSerde(stringSerde, 'string'), valueSerde: counting })
      .addProcessor('p', {
        parents: ['in'],
        create: () => ({ process: (record: StreamRecord<string, number>) => void seen.push(record.value) }),
      })
      .build();
    const { task } = await runningTask(topology);
    await task.process(consumed('in', 0, 'k', 1));
    expect(task.processNow(consumed('in', 1, 'k', 2), { value: 20 })).toBeUndefined();
    expect(seen).toEqual([1, 20]);
    expect(decodes).toBe(1);
  });

  it('hands its committed stream time to windowed stores: after a restart they expire at once', async () => {
    const windowsStore = windowedStore('windows', {
      keySerde: stringSerde,
      valueSerde: jsonSerde<number>(),
      retentionMs: 1_000,
    });
    const topology = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: recordSerde(jsonSerde<number>(), 'json'),
      })
      .addStore(windowsStore)
      .addProcessor('p', {
        parents: ['in'],
        stores: [windowsStore],
        create: () => ({
          process: (record: StreamRecord<string, number>, ctx: ProcessorContext) =>
            void ctx.store(windowsStore).put(record.key ?? '', record.timestamp, record.value ?? 0),
        }),
      })
      .build();
    const first = await runningTask(topology);
    await first.task.process(consumed('in', 0, 'k', 1)); // a window at 1,000
    await first.task.commit();
    expect(first.unit.commits[0]?.offsets[0]?.metadata).toBe('saldo:1:1000');
    await first.task.close();

    // The task moved on (another instance processed up to 10,000) and comes back here: before
    // any new record, its stores expire by the committed stream time.
    const committed = new Map([['in:0', { offset: 1, metadata: 'saldo:1:10000' }]]);
    const again = await runningTask(topology, { committed, stateDir: first.state.stateDir });
    const windows = again.task.windowedStore<string, number>('windows');
    expect(windows.observedStreamTimeMs).toBe(10_000);
    expect(windows.get('k', 1_000)).toBeUndefined();
    expect(await windows.expire()).toBe(1);
  });
});
