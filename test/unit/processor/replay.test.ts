import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jsonSerde, stringSerde } from '../../../state/index.ts';
import {
  ManualClock,
  TopologyBuilder,
  TopologyReplay,
  keyValueStore,
  recordSerde,
  type CommittedOutput,
  type ConsumedRecord,
  type ProcessorContext,
  type StreamRecord,
} from '../../../processor/index.ts';

const strings = recordSerde(stringSerde, 'string');
const numbers = recordSerde(jsonSerde<number>(), 'json');

/**
 * Amounts checked against a table of limits: each output says the amount, the limit the store
 * held, how many amounts the key had so far (a store of the task's own) and the wall clock.
 */
function limitsTopology() {
  const limits = keyValueStore('limits', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
  const seen = keyValueStore('seen', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
  return new TopologyBuilder()
    .addSource('tx', { topics: ['tx'], keySerde: strings, valueSerde: numbers })
    .addTableSource('limits', { topic: 'limits', keySerde: strings, valueSerde: numbers, store: limits })
    .addStore(seen)
    .addProcessor('check', {
      parents: ['tx'],
      stores: [limits, seen],
      create: () => ({
        process(record: StreamRecord<string, number>, ctx: ProcessorContext<string, string>) {
          const key = record.key ?? '';
          const count = (ctx.store(seen).get(key) ?? 0) + 1;
          ctx.store(seen).put(key, count);
          const limit = ctx.store(limits).get(key) ?? 'none';
          ctx.forward({ key, value: `${record.value}/${limit}/#${count}@${ctx.now()}` });
        },
      }),
    })
    .addSink('out', { parents: ['check'], topic: 'out', keySerde: strings, valueSerde: strings })
    .build();
}

function record(
  topic: string,
  partition: number,
  offset: number,
  key: string,
  value: string | null,
  timestamp: number,
): ConsumedRecord {
  return {
    topic,
    partition,
    offset,
    timestamp,
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    headers: {},
  };
}

let stateDir: string;
let replay: TopologyReplay | undefined;
let commits: CommittedOutput[][];
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'saldo-replay-test-'));
  commits = [];
});
afterEach(async () => {
  await replay?.close();
  replay = undefined;
  await rm(stateDir, { recursive: true, force: true });
});

async function open(commitEveryRecords = 1_000): Promise<TopologyReplay> {
  replay = await TopologyReplay.open(limitsTopology(), {
    applicationId: 'replay-test',
    stateDir,
    clock: new ManualClock(77),
    commitEveryRecords,
    onOutputs: (outputs) => {
      commits.push([...outputs]);
    },
  });
  return replay;
}

const values = () => commits.flat().map((output) => `${String(output.key)}=${String(output.value)}`);

describe('a topology replayed in process over recorded input', () => {
  it('applies each queued table record before the first stream record not older than it, tables first on ties', async () => {
    const r = await open();
    await r.queueTable([
      record('limits', 0, 0, 'acct-1', '500', 1_000),
      record('limits', 0, 1, 'acct-1', '700', 3_000),
      record('limits', 0, 2, 'acct-1', null, 5_000),
    ]);
    await r.process(record('tx', 0, 10, 'acct-1', '1', 999));
    await r.process(record('tx', 0, 11, 'acct-1', '2', 1_000));
    await r.process(record('tx', 0, 12, 'acct-1', '3', 2_999));
    await r.process(record('tx', 0, 13, 'acct-1', '4', 4_000));
    // Out of order: an older record after a younger one sees what the younger one saw.
    await r.process(record('tx', 0, 14, 'acct-1', '5', 2_000));
    await r.process(record('tx', 0, 15, 'acct-1', '6', 6_000));
    await r.flush();
    expect(values()).toEqual([
      'acct-1=1/none/#1@77',
      'acct-1=2/500/#2@77',
      'acct-1=3/500/#3@77',
      'acct-1=4/700/#4@77',
      'acct-1=5/700/#5@77',
      'acct-1=6/none/#6@77',
    ]);
  });

  it('runs one task per partition, each with its own table and stores', async () => {
    const r = await open();
    await r.queueTable([record('limits', 1, 0, 'acct-2', '900', 0)]);
    await r.process(record('tx', 0, 0, 'acct-1', '1', 10));
    await r.process(record('tx', 1, 0, 'acct-2', '2', 10));
    await r.process(record('tx', 0, 1, 'acct-2', '3', 20));
    await r.flush();
    // Outputs are in order per task; the tasks' order is not part of it.
    expect(values().sort()).toEqual(['acct-1=1/none/#1@77', 'acct-2=2/900/#1@77', 'acct-2=3/none/#1@77']);
  });

  it('commits every n records of a task, keeps its state across commits, and flushes the rest', async () => {
    const r = await open(2);
    for (let offset = 0; offset < 5; offset++)
      await r.process(record('tx', 0, offset, 'acct-1', `${offset}`, offset));
    expect(commits.map((outputs) => outputs.length)).toEqual([2, 2]);
    await r.flush();
    expect(commits.map((outputs) => outputs.length)).toEqual([2, 2, 1]);
    expect(values().at(-1)).toBe('acct-1=4/none/#5@77');
  });

  it('counts records that fail to decode as dead letters and goes on', async () => {
    const r = await open();
    await r.process(record('tx', 0, 0, 'acct-1', 'not json', 5));
    await r.process(record('tx', 0, 1, 'acct-1', '7', 6));
    await r.flush();
    expect(r.deadLetters).toBe(1);
    expect(values()).toEqual(['acct-1=7/none/#1@77']);
  });

  it('orders by the Kafka timestamp without an event-time reader; refuses topics it does not read as such, and a table queued late', async () => {
    const r = await open();
    expect(await r.orderingTime(record('tx', 0, 0, 'acct-1', '1', 1_234))).toBe(1_234);
    await expect(r.process(record('limits', 0, 0, 'acct-1', '1', 0))).rejects.toThrow(/stream sources/);
    await expect(r.queueTable([record('tx', 0, 0, 'acct-1', '1', 0)])).rejects.toThrow(/tables/);
    await expect(r.orderingTime(record('nope', 0, 0, 'acct-1', '1', 0))).rejects.toThrow(/reads no topic/);
    // A table partition goes whole before its stream: queued later, it could not take its turn.
    await r.process(record('tx', 1, 0, 'acct-1', '1', 0));
    await expect(r.queueTable([record('limits', 1, 0, 'acct-1', '1', 0)])).rejects.toThrow(
      /after its stream/,
    );
  });

  it('leaves no state behind once closed', async () => {
    const r = await open();
    await r.process(record('tx', 0, 0, 'acct-1', '1', 1));
    await r.flush();
    expect(await readdir(stateDir)).toHaveLength(1);
    await r.close();
    expect(await readdir(stateDir)).toEqual([]);
  });
});
