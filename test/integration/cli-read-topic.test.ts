import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { readTopicToEnd } from '../../cli/read-topic.ts';
import { createTopic, testKafka } from '../support/kafka.ts';
import { services, uniqueName } from '../support/services.ts';

/**
 * The reader behind `saldo verify` and `saldo evaluate`. Right after saldo's input was committed,
 * a balances or alerts partition can still hold that commit's transaction open (its markers reach
 * the partitions one by one); a check reading only to the last stable offset then sees an early
 * state. With `throughOpenTransactions` the read waits for the transactions open when it began.
 */
describe('readTopicToEnd (cli/read-topic.ts) on a real broker', () => {
  let kafka: Kafka;
  let plain: Producer;
  let transactional: Producer;
  const topic = uniqueName('cli-read-topic');

  const readValues = async (throughOpenTransactions: boolean): Promise<string[]> => {
    const values: string[] = [];
    await readTopicToEnd(
      { brokers: services().kafkaBrokers, topic, clientId: uniqueName('reader'), throughOpenTransactions },
      (value) => {
        values.push(value.toString());
      },
    );
    return values;
  };

  beforeAll(async () => {
    kafka = testKafka();
    await createTopic(kafka, topic);
    plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    transactional = kafka.producer({
      transactionalId: uniqueName('cli-read-topic-producer'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await Promise.all([plain.connect(), transactional.connect()]);
    await plain.send({ topic, acks: -1, messages: [{ key: 'k', value: 'before' }] });
  });

  afterAll(async () => {
    await Promise.all([plain?.disconnect(), transactional?.disconnect()]);
  });

  const openTransaction = async (values: string[]): Promise<Transaction> => {
    const txn = await transactional.transaction();
    await txn.send({ topic, messages: values.map((value) => ({ key: 'k', value })) });
    return txn;
  };

  it('without the option, stops at the first open transaction', async () => {
    const txn = await openTransaction(['aborted-1']);
    try {
      expect(await readValues(false)).toEqual(['before']);
    } finally {
      await txn.abort();
    }
  });

  it('with it, reads the records of a transaction open when it began, once it commits', async () => {
    const txn = await openTransaction(['open-1', 'open-2']);
    const reading = readValues(true);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await txn.commit();
    expect(await reading).toEqual(['before', 'open-1', 'open-2']);
  });
});
