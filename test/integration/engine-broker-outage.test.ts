import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { StreamsApp } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';
import {
  checkOutputs,
  generateTransactions,
  parseTotals,
  produceTransactions,
  referenceTotals,
} from '../support/counting.ts';
import { readCommittedToEnd, waitForInputCommitted } from '../support/instance-kafka.ts';
import { createTopic, testKafka } from '../support/kafka.ts';
import { services, uniqueName } from '../support/services.ts';

const brokerPid = services().kafkaPid;

// Pausing the broker needs its pid: the local platform provides it (or SALDO_TEST_KAFKA_PID).
describe.skipIf(brokerPid === undefined)('a broker outage', () => {
  let kafka: Kafka;
  let admin: Admin;
  let stateDir: string;
  const appId = uniqueName('outage');
  const topics = { input: `${appId}-in`, output: `${appId}-out` };

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    stateDir = await mkdtemp(join(tmpdir(), 'saldo-outage-'));
    await createTopic(kafka, topics.input, 3);
    await createTopic(kafka, topics.output, 3);
  });
  afterAll(async () => {
    if (brokerPid !== undefined) process.kill(brokerPid, 'SIGCONT');
    await admin?.disconnect();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is ridden out with retries: no crash, nothing lost, nothing applied twice', async () => {
    const first = generateTransactions(1_500, 25, 31);
    const second = generateTransactions(1_500, 25, 32);
    await produceTransactions(kafka, topics.input, first);
    const app = new StreamsApp(countingTopology(topics), {
      applicationId: appId,
      brokers: services().kafkaBrokers,
      stateDir,
      logLevel: 'error',
    });
    await app.start();
    try {
      await waitForInputCommitted(admin, {
        groupId: appId,
        topic: topics.input,
        expectedRecords: first.length,
        timeoutMs: 60_000,
      });
      // The broker freezes (as a machine that stops answering) while the app is idle-polling and
      // committing; then it comes back and more input arrives.
      process.kill(brokerPid as number, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 12_000));
      process.kill(brokerPid as number, 'SIGCONT');
      expect(app.state).toBe('running');
      await produceTransactions(kafka, topics.input, second);
      await waitForInputCommitted(admin, {
        groupId: appId,
        topic: topics.input,
        expectedRecords: first.length + second.length,
        timeoutMs: 120_000,
      });
      expect(app.state).toBe('running');
    } finally {
      await app.stop();
    }
    const outputs = await readCommittedToEnd(kafka, admin, topics.output);
    expect(
      checkOutputs(
        outputs.map((r) => parseTotals(r.key ?? '', r.value ?? '')),
        referenceTotals([...first, ...second]),
      ),
    ).toEqual([]);
    expect(outputs).toHaveLength(first.length + second.length);
  });
});
