import { describe, expect, it } from 'vitest';
import { ConfigResourceTypes } from 'kafkajs';
import { stringSerde, jsonSerde } from '../../state/index.ts';
import {
  PartitionCountMismatchError,
  StreamsApp,
  TopologyBuilder,
  deadLetterTopicFor,
  keyValueStore,
  recordSerde,
  type ProcessorContext,
  type StreamRecord,
} from '../../processor/index.ts';
import { changelogTopicFor, stateMarksTopicFor } from '../../processor/internal-topics.ts';
import { useScratchApps } from '../support/app-fixture.ts';
import { createTopic, readTopic, withAdmin } from '../support/kafka.ts';
import { uniqueName } from '../support/services.ts';

const strings = recordSerde(stringSerde, 'string');

/** Counts records per key across two input topics: only a task that sees both inputs gets 2. */
function joinedCounter(left: string, right: string, out: string) {
  const seen = keyValueStore('seen', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
  return new TopologyBuilder()
    .addSource('left', { topics: [left], keySerde: strings, valueSerde: strings })
    .addSource('right', { topics: [right], keySerde: strings, valueSerde: strings })
    .addStore(seen)
    .addProcessor('count', {
      parents: ['left', 'right'],
      stores: [seen],
      create: () => ({
        process(record: StreamRecord<string, string>, ctx: ProcessorContext<string, string>) {
          const store = ctx.store(seen);
          const n = (store.get(record.key ?? '') ?? 0) + 1;
          store.put(record.key ?? '', n);
          ctx.forward({ key: record.key, value: `${n}@${ctx.partition}` });
        },
      }),
    })
    .addSink('out', { parents: ['count'], topic: out, keySerde: strings, valueSerde: strings })
    .build();
}

describe('starting an app', () => {
  const apps = useScratchApps('startup', 'warn');
  const config = apps.config;

  it('stops with a clear error when co-partitioned inputs differ in partition count', async () => {
    const id = uniqueName('mismatch');
    await createTopic(apps.kafka, `${id}-left`, 3);
    await createTopic(apps.kafka, `${id}-right`, 2);
    const app = new StreamsApp(joinedCounter(`${id}-left`, `${id}-right`, `${id}-out`), config(id));
    const failure = await app.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(PartitionCountMismatchError);
    expect((failure as Error).message).toBe(
      `co-partitioned topics must have the same number of partitions: ${id}-left=3, ${id}-right=2`,
    );
    expect(app.state).toBe('failed');
    await app.stop();
  });

  it("creates compacted changelogs and the dead-letter topic with the inputs' partition count", async () => {
    const id = uniqueName('internal');
    await createTopic(apps.kafka, `${id}-left`, 3);
    await createTopic(apps.kafka, `${id}-right`, 3);
    await createTopic(apps.kafka, `${id}-out`, 3);
    const app = new StreamsApp(joinedCounter(`${id}-left`, `${id}-right`, `${id}-out`), config(id));
    await app.start();
    try {
      await withAdmin(apps.kafka, async (admin) => {
        const meta = await admin.fetchTopicMetadata({
          topics: [changelogTopicFor(id, 'seen'), deadLetterTopicFor(id)],
        });
        expect(meta.topics.map((t) => t.partitions.length)).toEqual([3, 3]);
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: changelogTopicFor(id, 'seen'),
              configNames: ['cleanup.policy'],
            },
          ],
        });
        expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('compact');
      });

      // The same key on both inputs (same partition number) meets in one task and one store.
      const producer = apps.kafka.producer();
      await producer.connect();
      await producer.send({ topic: `${id}-left`, messages: [{ key: 'acct-9', value: 'l', partition: 2 }] });
      await producer.send({ topic: `${id}-right`, messages: [{ key: 'acct-9', value: 'r', partition: 2 }] });
      await producer.disconnect();
      const out = await readTopic(apps.kafka, `${id}-out`, {
        isolation: 'read_committed',
        done: (s) => s.length >= 2,
        timeoutMs: 30_000,
      });
      expect(out.map((r) => r.value).sort()).toEqual(['1@2', '2@2']);
    } finally {
      await app.stop();
    }
  });

  it('keeps the replay horizon of history in changelogs: an existing one gets it, keeping its other configs; marks get a topic', async () => {
    const id = uniqueName('history');
    for (const topic of [`${id}-left`, `${id}-right`, `${id}-out`]) await createTopic(apps.kafka, topic, 3);
    const changelog = changelogTopicFor(id, 'seen');
    // As an older saldo (or a hand) made it: compacted, with a config of its own, no history kept.
    await withAdmin(apps.kafka, async (admin) => {
      await admin.createTopics({
        topics: [
          {
            topic: changelog,
            numPartitions: 3,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.ms', value: '600000' },
            ],
          },
        ],
      });
    });
    const app = new StreamsApp(joinedCounter(`${id}-left`, `${id}-right`, `${id}-out`), {
      ...config(id),
      replayHorizonMs: 3_600_000,
      // The admin calls cross to the Kafka client's thread: its forwarding is tested too.
      kafkaClientThread: 'worker',
    });
    await app.start();
    await app.stop();
    await withAdmin(apps.kafka, async (admin) => {
      const own = async (topic: string) => {
        const described = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
        });
        return Object.fromEntries(
          (described.resources[0]?.configEntries ?? [])
            .filter((e) => e.configSource === 1) // set on the topic itself
            .map((e) => [e.configName, e.configValue]),
        );
      };
      expect(await own(changelog)).toEqual({
        'cleanup.policy': 'compact',
        'segment.ms': '600000',
        'min.compaction.lag.ms': '3600000',
      });
      expect(await own(stateMarksTopicFor(id))).toEqual({
        'cleanup.policy': 'delete',
        'retention.ms': '3600000',
      });
      const meta = await admin.fetchTopicMetadata({ topics: [stateMarksTopicFor(id)] });
      expect(meta.topics[0]?.partitions).toHaveLength(3);
    });
  });
});
