import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Producer } from 'kafkajs';
import { createTopic, readTopic, testKafka } from '../support/kafka.ts';
import { uniqueName } from '../support/services.ts';

describe('the Kafka broker supports transactions', () => {
  let kafka: Kafka;
  let producer: Producer;
  const topic = uniqueName('txn-proof');

  beforeAll(async () => {
    kafka = testKafka();
    await createTopic(kafka, topic);
    producer = kafka.producer({
      transactionalId: uniqueName('txn-proof-producer'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
  });

  it('a read_committed consumer sees a transactional record only after commit', async () => {
    const txn = await producer.transaction();
    await txn.send({ topic, messages: [{ key: 'k', value: 'pending-then-committed' }] });

    // The record is in the log (an uncommitted reader sees it) ...
    const uncommitted = await readTopic(kafka, topic, {
      isolation: 'read_uncommitted',
      done: (seen) => seen.some((r) => r.value === 'pending-then-committed'),
    });
    expect(uncommitted.map((r) => r.value)).toContain('pending-then-committed');

    // ... but a committed reader does not see it while the transaction is open.
    const beforeCommit = await readTopic(kafka, topic, {
      isolation: 'read_committed',
      done: () => false,
      timeoutMs: 3_000,
    });
    expect(beforeCommit).toEqual([]);

    await txn.commit();
    const afterCommit = await readTopic(kafka, topic, {
      isolation: 'read_committed',
      done: (seen) => seen.some((r) => r.value === 'pending-then-committed'),
    });
    expect(afterCommit.map((r) => r.value)).toEqual(['pending-then-committed']);
  });

  it('a read_committed consumer never sees a record of an aborted transaction', async () => {
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ key: 'k', value: 'aborted' }] });
    await aborted.abort();

    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ key: 'k', value: 'after-abort' }] });
    await committed.commit();

    // The aborted record precedes 'after-abort' in the log, so reading up to it proves it was skipped.
    const seen = await readTopic(kafka, topic, {
      isolation: 'read_committed',
      done: (s) => s.some((r) => r.value === 'after-abort'),
    });
    expect(seen.map((r) => r.value)).toEqual(['pending-then-committed', 'after-abort']);

    const raw = await readTopic(kafka, topic, {
      isolation: 'read_uncommitted',
      done: (s) => s.some((r) => r.value === 'after-abort'),
    });
    expect(raw.map((r) => r.value)).toEqual(['pending-then-committed', 'aborted', 'after-abort']);
  });
});
