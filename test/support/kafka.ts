import { Kafka, logLevel, type KafkaMessage, type Producer, type Transaction } from 'kafkajs';
import { waitForTopicLeaders, withAdmin } from '../../processor/kafka/kafkajs/admin.ts';

export { withAdmin };
import { services, uniqueName } from './services.ts';

export function testKafka(clientId = 'saldo-test'): Kafka {
  return new Kafka({ clientId, brokers: services().kafkaBrokers, logLevel: logLevel.NOTHING });
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions = 1): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: false });
    await waitForTopicLeaders(admin, [topic]);
  });
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
  headers: KafkaMessage['headers'];
}

/**
 * Reads a topic from the beginning in a fresh consumer group until `done` says so or the time is up.
 * Returns every record seen, in the order received (per partition, offset order).
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  opts: {
    isolation: 'read_committed' | 'read_uncommitted';
    done: (seen: ReadRecord[]) => boolean;
    timeoutMs?: number;
  },
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('reader'),
    readUncommitted: opts.isolation === 'read_uncommitted',
    maxWaitTimeInMs: 100,
  });
  const seen: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, opts.timeoutMs ?? 15_000);
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            seen.push({
              partition,
              offset: message.offset,
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              headers: message.headers,
            });
            if (opts.done(seen)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

/** A one-partition topic with two producers: a plain idempotent one and a transactional one. */
export interface TransactionsTopic {
  topic: string;
  /** Writes committed records at once (no transaction). */
  plain: Producer;
  /** Leaves a transaction open with these values (key `k`), for the caller to commit or abort. */
  openTransaction(values: string[]): Promise<Transaction>;
  disconnect(): Promise<void>;
}

export async function transactionsTopic(kafka: Kafka, name: string): Promise<TransactionsTopic> {
  const topic = uniqueName(name);
  await createTopic(kafka, topic);
  const plain = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const transactional = kafka.producer({
    transactionalId: uniqueName(`${name}-producer`),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await Promise.all([plain.connect(), transactional.connect()]);
  return {
    topic,
    plain,
    openTransaction: async (values) => {
      const txn = await transactional.transaction();
      await txn.send({ topic, messages: values.map((value) => ({ key: 'k', value })) });
      return txn;
    },
    disconnect: async () => {
      await Promise.all([plain.disconnect(), transactional.disconnect()]);
    },
  };
}
