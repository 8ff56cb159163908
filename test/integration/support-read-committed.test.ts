import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { readCommittedToEnd } from '../support/instance-kafka.ts';
import { testKafka, transactionsTopic, type TransactionsTopic } from '../support/kafka.ts';

/**
 * The exactness checks of the multi-instance tests read every committed output "to the end" right
 * after the input's offsets became visible; the markers of that last transaction may not have
 * reached every output partition yet. The reader must wait for them, not stop at the open
 * transaction (it did, and CI failed with an early state, 2026-12-07).
 */
describe('readCommittedToEnd (test support) on a real broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  let fixture: TransactionsTopic;

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    fixture = await transactionsTopic(kafka, 'read-to-end');
  });

  afterAll(async () => {
    await Promise.all([fixture?.disconnect(), admin?.disconnect()]);
  });

  it('reads through a transaction that is still open when it starts, once it commits', async () => {
    const { topic, plain } = fixture;
    await plain.send({ topic, acks: -1, messages: [{ key: 'k', value: 'before' }] });
    const txn = await fixture.openTransaction(['in-open-1', 'in-open-2']);

    const reading = readCommittedToEnd(kafka, admin, topic, 30_000);
    // The reader has started while the transaction is open (its last stable offset is 1) ...
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await txn.commit();

    // ... and ends after its records, not before them.
    const records = await reading;
    expect(records.map((r) => r.value)).toEqual(['before', 'in-open-1', 'in-open-2']);
  });

  it('says which partition it waited on when a transaction stays open', async () => {
    const txn = await fixture.openTransaction(['never-committed']);
    try {
      await expect(readCommittedToEnd(kafka, admin, fixture.topic, 4_000)).rejects.toThrow(
        /did not reach its high watermark within 4000 ms.*p0: /,
      );
    } finally {
      await txn.abort();
    }
  });
});
