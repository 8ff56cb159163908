import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopicToEnd } from '../../cli/read-topic.ts';
import { testKafka, transactionsTopic, type TransactionsTopic } from '../support/kafka.ts';
import { services, uniqueName } from '../support/services.ts';

/**
 * The reader behind `saldo verify` and `saldo evaluate`. Right after saldo's input was committed,
 * a balances or alerts partition can still hold that commit's transaction open (its markers reach
 * the partitions one by one); a check reading only to the last stable offset then sees an early
 * state. With `throughOpenTransactions` the read waits for the transactions open when it began.
 */
describe('readTopicToEnd (cli/read-topic.ts) on a real broker', () => {
  let fixture: TransactionsTopic;

  const readValues = async (throughOpenTransactions: boolean): Promise<string[]> => {
    const values: string[] = [];
    await readTopicToEnd(
      {
        brokers: services().kafkaBrokers,
        topic: fixture.topic,
        clientId: uniqueName('reader'),
        throughOpenTransactions,
      },
      (value) => {
        values.push(value.toString());
      },
    );
    return values;
  };

  beforeAll(async () => {
    fixture = await transactionsTopic(testKafka(), 'cli-read-topic');
    await fixture.plain.send({
      topic: fixture.topic,
      acks: -1,
      messages: [{ key: 'k', value: 'before' }],
    });
  });

  afterAll(async () => {
    await fixture?.disconnect();
  });

  it('without the option, stops at the first open transaction', async () => {
    const txn = await fixture.openTransaction(['aborted-1']);
    try {
      expect(await readValues(false)).toEqual(['before']);
    } finally {
      await txn.abort();
    }
  });

  it('with it, reads the records of a transaction open when it began, once it commits', async () => {
    const txn = await fixture.openTransaction(['open-1', 'open-2']);
    const reading = readValues(true);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await txn.commit();
    expect(await reading).toEqual(['before', 'open-1', 'open-2']);
  });
});
