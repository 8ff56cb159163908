import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { StreamsApp } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';
import {
  checkOutputs,
  generateTransactions,
  parseTotals,
  produceTransactions,
  referenceTotals,
} from '../support/counting.ts';
import { createTopic, readTopic, testKafka } from '../support/kafka.ts';
import { services, uniqueName } from '../support/services.ts';

describe('the engine, at-least-once', () => {
  let kafka: Kafka;
  let stateDir: string;
  const appId = uniqueName('alos');
  const topics = { input: `${appId}-in`, output: `${appId}-out` };

  beforeAll(async () => {
    kafka = testKafka();
    stateDir = await mkdtemp(join(tmpdir(), 'saldo-alos-'));
    await createTopic(kafka, topics.input, 3);
    await createTopic(kafka, topics.output, 3);
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('computes exact totals in a run without failures and commits its offsets', async () => {
    const txs = generateTransactions(2_000, 30, 11);
    await produceTransactions(kafka, topics.input, txs);
    const app = new StreamsApp(countingTopology(topics), {
      applicationId: appId,
      brokers: services().kafkaBrokers,
      stateDir,
      processingGuarantee: 'at-least-once',
      logLevel: 'warn',
    });
    await app.start();
    try {
      const out = await readTopic(kafka, topics.output, {
        isolation: 'read_uncommitted',
        done: (s) => s.length >= txs.length,
        timeoutMs: 60_000,
      });
      expect(
        checkOutputs(
          out.map((r) => parseTotals(r.key ?? '', r.value ?? '')),
          referenceTotals(txs),
        ),
      ).toEqual([]);
    } finally {
      await app.stop();
    }
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId: appId, topics: [topics.input] });
    await admin.disconnect();
    const committed = offsets[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(txs.length);
  });
});
