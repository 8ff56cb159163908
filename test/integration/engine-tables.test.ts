import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { jsonSerde, stringSerde } from '../../state/index.ts';
import {
  DLQ_HEADERS,
  StreamsApp,
  TopologyBuilder,
  deadLetterTopicFor,
  keyValueStore,
  recordSerde,
  type ProcessorContext,
  type StreamRecord,
} from '../../processor/index.ts';
import { waitForTopicLeaders } from '../../processor/kafka/kafkajs/admin.ts';
import { committedOffsetsSum, useScratchApps } from '../support/app-fixture.ts';
import { createTopic, readTopic, withAdmin, type ReadRecord } from '../support/kafka.ts';
import { uniqueName } from '../support/services.ts';

interface Payment {
  amount: number;
  at: number;
}
interface Limit {
  limit: number;
  at: number;
}

/** Payments checked against a table of limits: each output names the amount and the limit it saw. */
function limitsTopology(id: string) {
  const strings = recordSerde(stringSerde, 'string');
  const limits = keyValueStore('limits', { keySerde: stringSerde, valueSerde: jsonSerde<Limit>() });
  return new TopologyBuilder()
    .addSource('payments', {
      topics: [`${id}-payments`],
      keySerde: strings,
      valueSerde: recordSerde(jsonSerde<Payment>(), 'json'),
      timestampOf: (value) => value.at,
    })
    .addTableSource('limits', {
      topic: `${id}-limits`,
      keySerde: strings,
      valueSerde: recordSerde(jsonSerde<Limit>(), 'json'),
      store: limits,
      timestampOf: (value) => value.at,
    })
    .addProcessor('check', {
      parents: ['payments'],
      stores: [limits],
      create: () => ({
        process(record: StreamRecord<string, Payment>, ctx: ProcessorContext<string, string>) {
          const limit = ctx.store(limits).get(record.key ?? '');
          ctx.forward({
            key: record.key,
            value: `${record.value?.amount}@${record.value?.at}/${limit?.limit ?? 'none'}`,
          });
        },
      }),
    })
    .addSink('out', { parents: ['check'], topic: `${id}-out`, keySerde: strings, valueSerde: strings })
    .build();
}

async function createTopics(kafka: Kafka, id: string): Promise<void> {
  await createTopic(kafka, `${id}-payments`, 2);
  await createTopic(kafka, `${id}-out`, 2);
  await withAdmin(kafka, async (admin) => {
    await admin.createTopics({
      topics: [
        {
          topic: `${id}-limits`,
          numPartitions: 2,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    await waitForTopicLeaders(admin, [`${id}-limits`]);
  });
}

/** Produces to partition 0 (task 0_0), in order, one send per record so their order is the log's. */
async function produce(kafka: Kafka, topic: string, records: Array<{ key: string; value: string }>) {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const r of records) await producer.send({ topic, messages: [{ partition: 0, ...r }] });
  } finally {
    await producer.disconnect();
  }
}

const payment = (key: string, amount: number, at: number) => ({ key, value: JSON.stringify({ amount, at }) });
const limit = (key: string, value: number, at: number) => ({
  key,
  value: JSON.stringify({ limit: value, at }),
});

async function outputs(kafka: Kafka, id: string, count: number): Promise<string[]> {
  const seen = await readTopic(kafka, `${id}-out`, {
    isolation: 'read_committed',
    done: (records) => records.length >= count,
    timeoutMs: 60_000,
  });
  return seen.map((r: ReadRecord) => `${r.key}:${r.value}`);
}

/** Waits until the app runs a task per partition: tables read, the group processing. */
async function runningTasks(app: StreamsApp, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((app.taskManager?.tasks.size ?? 0) < count) {
    if (Date.now() > deadline)
      throw new Error(`the app runs ${app.taskManager?.tasks.size} tasks, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function tableRecordsRead(app: StreamsApp): Promise<number> {
  const metric = await app.metrics.restoredRecords.get();
  return metric.values.filter((v) => v.labels.store === 'limits').reduce((sum, v) => sum + v.value, 0);
}

describe('table sources on the broker', () => {
  const apps = useScratchApps('tables', 'warn');

  it('reads the table up to its end before processing payments, and after a restart only its tail', async () => {
    const id = uniqueName('bootstrap');
    await createTopics(apps.kafka, id);
    // Limits stamped AFTER the payments: processed in timestamp order they would come too late;
    // read first, as the table's state, every payment sees them. Many keys, so that the table
    // takes several fetches while the payments take one.
    const filler = Array.from({ length: 3_000 }, (_, i) => limit(`other-${i}`, i, 5_000));
    await produce(apps.kafka, `${id}-limits`, [
      ...filler,
      { key: 'acct-1', value: '{not json' },
      limit('acct-1', 100, 9_000),
    ]);
    await produce(apps.kafka, `${id}-payments`, [payment('acct-1', 10, 1_000), payment('acct-1', 20, 2_000)]);

    const first = new StreamsApp(limitsTopology(id), apps.config(id));
    await first.start();
    try {
      expect(await outputs(apps.kafka, id, 2)).toEqual(['acct-1:10@1000/100', 'acct-1:20@2000/100']);
      expect(await tableRecordsRead(first)).toBe(3_002);
    } finally {
      await first.stop();
    }

    // While it is down: a new limit, and a payment stamped before it.
    await produce(apps.kafka, `${id}-limits`, [limit('acct-1', 50, 9_500)]);
    await produce(apps.kafka, `${id}-payments`, [payment('acct-1', 30, 3_000)]);
    const second = new StreamsApp(limitsTopology(id), apps.config(id));
    await second.start();
    try {
      expect((await outputs(apps.kafka, id, 3))[2]).toBe('acct-1:30@3000/50');
      expect(await tableRecordsRead(second)).toBe(1);
    } finally {
      await second.stop();
    }

    // The table's offsets are committed like any input's; it has no changelog of its own; its
    // bad record is a dead letter naming where it came from.
    expect(await committedOffsetsSum(apps.kafka, id, `${id}-limits`)).toBe(3_003);
    const topics = await withAdmin(apps.kafka, (admin) => admin.listTopics());
    expect(topics).not.toContain(`${id}-limits-changelog`);
    const dead = await readTopic(apps.kafka, deadLetterTopicFor(id), {
      isolation: 'read_committed',
      done: (records) => records.length >= 1,
    });
    expect(dead).toHaveLength(1);
    expect(dead[0]?.headers?.[DLQ_HEADERS.topic]?.toString()).toBe(`${id}-limits`);
    expect(dead[0]?.headers?.[DLQ_HEADERS.offset]?.toString()).toBe('3000');
    expect(dead[0]?.headers?.[DLQ_HEADERS.reason]?.toString()).toBe('deserialization');
  });

  it('applies a limit change stamped before a payment first, though it arrived after it', async () => {
    const id = uniqueName('order');
    await createTopics(apps.kafka, id);
    await produce(apps.kafka, `${id}-limits`, [limit('acct-2', 100, 1_000)]);
    // Waiting up to 3 s for the empty limits partition lets the late limit change in.
    const app = new StreamsApp(limitsTopology(id), { ...apps.config(id), maxTaskIdleMs: 3_000 });
    await app.start();
    try {
      await runningTasks(app, 2);
      await produce(apps.kafka, `${id}-payments`, [
        payment('acct-2', 150, 2_000),
        payment('acct-2', 150, 4_000),
      ]);
      await produce(apps.kafka, `${id}-limits`, [limit('acct-2', 200, 3_000)]);
      expect(await outputs(apps.kafka, id, 2)).toEqual(['acct-2:150@2000/100', 'acct-2:150@4000/200']);
    } finally {
      await app.stop();
    }
  });
});
