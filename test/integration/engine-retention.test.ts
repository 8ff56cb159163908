import { describe, expect, it } from 'vitest';
import {
  checkOutputs,
  generateTransactions,
  produceTransactions,
  readTotalsUpdates,
  referenceTotals,
} from '../support/counting.ts';
import { committedOffsetsSum, startCountingApp, useAppFixture } from '../support/app-fixture.ts';

// A consumer that lags past the input's retention: the records it was about to read are gone.
// Kafka answers OFFSET_OUT_OF_RANGE, kafkajs restarts the partition from its log start, and the
// task must take those batches (Kafka Streams' auto.offset.reset=earliest), say what was lost,
// and go on — not wait forever for the offset it sought.
describe('input deleted by retention before it was processed', () => {
  const fx = useAppFixture('retention', 2);
  const { appId, topics } = fx;

  it('goes on from the log start, counts the lost records and processes the rest exactly once', async () => {
    const { kafka } = fx;
    const before = generateTransactions(600, 20, 1);
    const deleted = generateTransactions(500, 20, 2);
    const after = generateTransactions(400, 20, 3);

    await produceTransactions(kafka, topics.input, before);
    const first = await startCountingApp(fx);
    try {
      await readTotalsUpdates(kafka, topics.output, { expected: before.length, isolation: 'read_committed' });
    } finally {
      await first.stop();
    }
    expect(await committedOffsetsSum(kafka, appId, topics.input)).toBe(before.length);

    // While the app is down: more input, then retention (here deleteRecords) removes it unread.
    await produceTransactions(kafka, topics.input, deleted);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topics.input);
      await admin.deleteTopicRecords({
        topic: topics.input,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    } finally {
      await admin.disconnect();
    }
    await produceTransactions(kafka, topics.input, after);

    const second = await startCountingApp(fx);
    try {
      const updates = await readTotalsUpdates(kafka, topics.output, {
        expected: before.length + after.length,
        isolation: 'read_committed',
      });
      expect(checkOutputs(updates, referenceTotals([...before, ...after]))).toEqual([]);
      const lost = await second.metrics.registry
        .getSingleMetric('saldo_input_records_lost_to_retention_total')
        ?.get();
      expect(lost?.values.reduce((sum, v) => sum + v.value, 0)).toBe(deleted.length);
    } finally {
      await second.stop();
    }
    const total = before.length + deleted.length + after.length;
    expect(await committedOffsetsSum(kafka, appId, topics.input)).toBe(total);
  }, 120_000);
});
