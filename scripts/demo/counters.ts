// What the demo's live line shows, read from Kafka like any outside observer: committed records of
// a topic (read_committed, counted as they come), alerts by rule, and the app's consumer lag.
import type { Admin, Kafka } from 'kafkajs';
import type { RecordSerde } from '../../processor/index.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';

export interface RecordCounter {
  readonly count: number;
  stop(): Promise<void>;
}

/** Counts the committed records of a topic from its start, as a downstream reader sees them. */
export async function countRecords(kafka: Kafka, topic: string, groupId: string): Promise<RecordCounter> {
  let count = 0;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      count += batch.messages.length;
    },
  });
  return {
    get count() {
      return count;
    },
    stop: () => consumer.disconnect(),
  };
}

export interface AlertCounter {
  /** Alerts seen, by rule id. */
  readonly byRule: ReadonlyMap<string, number>;
  readonly total: number;
  stop(): Promise<void>;
}

/** Counts the committed alerts of the alerts topic by rule, decoding them as the fraud team would. */
export async function countAlerts(
  kafka: Kafka,
  topic: string,
  groupId: string,
  serde: RecordSerde<FraudAlert>,
): Promise<AlertCounter> {
  const byRule = new Map<string, number>();
  let total = 0;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (message.value === null) continue;
        const alert = await serde.deserialize(message.value, { topic, part: 'value' });
        byRule.set(alert.ruleId, (byRule.get(alert.ruleId) ?? 0) + 1);
        total += 1;
      }
    },
  });
  return {
    byRule,
    get total() {
      return total;
    },
    stop: () => consumer.disconnect(),
  };
}

/** Records of `topic` the group has not committed yet (end offsets minus committed offsets). */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const byPartition = new Map(
    (committed?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]),
  );
  return ends.reduce((lag, end) => lag + Number(end.high) - (byPartition.get(end.partition) ?? 0), 0);
}
