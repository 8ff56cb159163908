import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigResourceTypes } from 'kafkajs';
import { stringSerde } from '../../state/index.ts';
import { MissingTopicsError, StreamsApp, TopologyBuilder, recordSerde } from '../../processor/index.ts';
import { countingTopology } from '../../topologies/counting.ts';
import { committedOffsetsSum, useScratchApps } from '../support/app-fixture.ts';
import { createTopic, withAdmin } from '../support/kafka.ts';
import { uniqueName } from '../support/services.ts';

const strings = recordSerde(stringSerde, 'string');

/** Copies its input to a compacted output topic. */
function copyToCompacted(input: string, output: string) {
  return new TopologyBuilder()
    .addSource('in', { topics: [input], keySerde: strings, valueSerde: strings })
    .addProcessor('copy', {
      parents: ['in'],
      create: () => ({ process: (record, ctx) => ctx.forward({ key: record.key, value: record.value }) }),
    })
    .addSink('out', {
      parents: ['copy'],
      topic: output,
      keySerde: strings,
      valueSerde: strings,
      topicConfigs: { 'cleanup.policy': 'compact' },
    })
    .build();
}

/** A logger whose JSON lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

describe('output topics', () => {
  const apps = useScratchApps('topics', 'silent');
  const config = apps.config;

  it('refuses to start, naming them, when output topics do not exist', async () => {
    const id = uniqueName('no-output');
    await createTopic(apps.kafka, `${id}-in`, 2);
    const app = new StreamsApp(copyToCompacted(`${id}-in`, `${id}-out`), config(id));
    const failure = await app.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(MissingTopicsError);
    expect((failure as Error).message).toBe(
      `output topics do not exist: ${id}-out; create them (\`saldo topics create\`) or start with --create-topics`,
    );
    expect(app.state).toBe('failed');
    await app.stop();
  });

  it("creates missing output topics when asked, with the inputs' partition count and the sink's configs", async () => {
    const id = uniqueName('create-output');
    await createTopic(apps.kafka, `${id}-in`, 3);
    const app = new StreamsApp(copyToCompacted(`${id}-in`, `${id}-out`), {
      ...config(id),
      createOutputTopics: true,
    });
    await app.start();
    try {
      await withAdmin(apps.kafka, async (admin) => {
        const meta = await admin.fetchTopicMetadata({ topics: [`${id}-out`] });
        expect(meta.topics[0]?.partitions).toHaveLength(3);
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            { type: ConfigResourceTypes.TOPIC, name: `${id}-out`, configNames: ['cleanup.policy'] },
          ],
        });
        expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('compact');
      });
    } finally {
      await app.stop();
    }
  });

  it('stops the instance, saying why, after a bounded number of commits to an output topic that was deleted', async () => {
    const id = uniqueName('deleted-output');
    const topics = { input: `${id}-in`, output: `${id}-out` };
    await createTopic(apps.kafka, topics.input, 1);
    await createTopic(apps.kafka, topics.output, 1);
    const { logger, lines } = capturingLogger();
    const failures: unknown[] = [];
    const app = new StreamsApp(
      countingTopology(topics),
      { ...config(id), unrecoverableCommitAttempts: 3 },
      { logger, onFailed: (error) => failures.push(error) },
    );
    await app.start();
    const producer = apps.kafka.producer();
    await producer.connect();
    const send = (n: number) =>
      producer.send({
        topic: topics.input,
        messages: [
          { key: 'acct-1', value: JSON.stringify({ txId: `t${n}`, amountMinor: '100', currency: 'MXN' }) },
        ],
      });
    try {
      await send(1);
      // The first record is committed while the output topic still exists.
      for (
        const deadline = Date.now() + 60_000;
        (await committedOffsetsSum(apps.kafka, id, topics.input)) < 1;
      ) {
        if (Date.now() > deadline) throw new Error('the first record was not committed within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      await withAdmin(apps.kafka, (admin) => admin.deleteTopics({ topics: [topics.output] }));
      await send(2);
      await waitFor(() => app.state === 'stopped', 60_000).catch((error: unknown) => {
        console.error(
          lines.map((line) => `${line.level} ${line.msg} ${JSON.stringify(line.error ?? '')}`).join('\n'),
        );
        throw error;
      });
    } finally {
      await producer.disconnect();
      await app.stop();
    }
    const attempts = lines.filter((line) =>
      String(line.msg).startsWith('commit failed on an error retrying cannot fix'),
    );
    expect(attempts.length).toBe(2);
    expect(failures).toHaveLength(1);
    const fatal = lines.filter((line) => line.level === 60);
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0]?.msg)).toMatch(
      new RegExp(
        `^stopping: task 0_0 failed to commit 3 times in a row on an error retrying cannot fix: .*${topics.output}`,
      ),
    );
  });
});
