import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { stringSerde } from '../../state/index.ts';
import {
  StreamsApp,
  TopologyBuilder,
  deadLetterTopicFor,
  recordSerde,
  type ProcessorContext,
  type StreamRecord,
} from '../../processor/index.ts';
import {
  ConfluentAvroRegistry,
  avroSerde,
  createSchemaRegistry,
  type AvroSchemaDefinition,
} from '../../schemas/index.ts';
import { createTopic, readTopic, testKafka } from '../support/kafka.ts';
import { services, uniqueName } from '../support/services.ts';

interface Payment {
  transactionId: string;
  amountMinor: bigint;
  currency: string;
}

const paymentSchema: AvroSchemaDefinition = {
  type: 'record',
  name: 'Payment',
  namespace: 'mx.saldo.test',
  fields: [
    { name: 'transactionId', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string' },
  ],
};

describe('Avro records through the schema registry', () => {
  let kafka: Kafka;
  let stateDir: string;
  const id = uniqueName('avro');
  const topics = { input: `${id}-payments`, output: `${id}-with-fee` };

  beforeAll(async () => {
    kafka = testKafka();
    stateDir = await mkdtemp(join(tmpdir(), 'saldo-avro-'));
    await createTopic(kafka, topics.input, 2);
    await createTopic(kafka, topics.output, 2);
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('decodes Avro input, keeps longs above 2^53 exact as bigint, and writes Avro output', async () => {
    const registry = createSchemaRegistry(services().schemaRegistryUrl);
    const payments = avroSerde<Payment>(new ConfluentAvroRegistry(registry), paymentSchema);
    const topology = new TopologyBuilder()
      .addSource('payments', {
        topics: [topics.input],
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: payments,
      })
      .addProcessor('add-fee', {
        parents: ['payments'],
        create: () => ({
          process(record: StreamRecord<string, Payment>, ctx: ProcessorContext<string, Payment>) {
            const p = record.value as Payment;
            ctx.forward({ key: record.key, value: { ...p, amountMinor: p.amountMinor + 1_500n } });
          },
        }),
      })
      .addSink('out', {
        parents: ['add-fee'],
        topic: topics.output,
        keySerde: recordSerde(stringSerde, 'string'),
        valueSerde: payments,
      })
      .build();

    const big = 2n ** 60n + 7n; // not representable as a double
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.input,
      messages: [
        {
          key: 'acct-1',
          value: await payments.serialize(
            { transactionId: 't1', amountMinor: big, currency: 'MXN' },
            { topic: topics.input, part: 'value' },
          ),
        },
        { key: 'acct-2', value: Buffer.from('not avro at all') },
      ],
    });
    await producer.disconnect();

    const app = new StreamsApp(topology, {
      applicationId: id,
      brokers: services().kafkaBrokers,
      stateDir,
      logLevel: 'warn',
    });
    await app.start();
    try {
      // Decode with a client that has never seen the schema: it fetches the writer's schema by id.
      const bytes = await readRaw(kafka, topics.output);
      expect(bytes).toHaveLength(1);
      const fresh = createSchemaRegistry(services().schemaRegistryUrl);
      expect(await fresh.decode(bytes[0] as Buffer)).toEqual({
        transactionId: 't1',
        amountMinor: big + 1_500n,
        currency: 'MXN',
      });
      const dead = await readTopic(kafka, deadLetterTopicFor(id), {
        isolation: 'read_committed',
        done: (s) => s.length >= 1,
      });
      expect(dead[0]?.value).toBe('not avro at all');
    } finally {
      await app.stop();
    }
  });
});

/** The raw values of a topic's first committed record(s), read_committed. */
async function readRaw(kafka: Kafka, topic: string): Promise<Buffer[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('raw'), maxWaitTimeInMs: 100 });
  const values: Buffer[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 15_000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          if (message.value) values.push(message.value);
          clearTimeout(timer);
          resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return values;
}
