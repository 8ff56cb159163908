import type { Kafka } from 'kafkajs';
import { javaCompatiblePartitioner } from '../../processor/kafka/kafkajs/partitioner.ts';
import {
  ConfluentAvroRegistry,
  productSerdes,
  avroSerde,
  type AvroSchemaDefinition,
} from '../../schemas/index.ts';
import type { BalanceSnapshot } from '../../topologies/balances/snapshot.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import { uniqueName } from './services.ts';

/** Produces transactions (Avro, keyed by account, timestamped with their event time), in order. */
export async function produceTransactions(
  kafka: Kafka,
  registryUrl: string,
  topic: string,
  transactions: readonly TransactionRecord[],
  schema?: AvroSchemaDefinition,
): Promise<void> {
  const registry = ConfluentAvroRegistry.connect(registryUrl);
  const serde =
    schema === undefined
      ? productSerdes(registry).transaction
      : avroSerde<TransactionRecord>(registry, schema);
  const producer = kafka.producer({ createPartitioner: javaCompatiblePartitioner, idempotent: true });
  await producer.connect();
  try {
    const messages = [];
    for (const transaction of transactions) {
      messages.push({
        key: transaction.accountId,
        value: await serde.serialize(transaction, { topic, part: 'value' }),
        timestamp: String(transaction.eventTime),
      });
    }
    for (let at = 0; at < messages.length; at += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(at, at + 500) });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads the balances topic (read_committed) from the beginning until `done` says so or time is up,
 * and returns the latest snapshot per account (the highest version) and every snapshot read.
 */
export async function readBalanceSnapshots(
  kafka: Kafka,
  registryUrl: string,
  topic: string,
  done: (latest: ReadonlyMap<string, BalanceSnapshot>) => boolean,
  timeoutMs = 60_000,
): Promise<{ latest: Map<string, BalanceSnapshot>; all: BalanceSnapshot[] }> {
  const serde = productSerdes(ConfluentAvroRegistry.connect(registryUrl)).snapshot;
  const consumer = kafka.consumer({ groupId: uniqueName('snapshots'), maxWaitTimeInMs: 100 });
  const latest = new Map<string, BalanceSnapshot>();
  const all: BalanceSnapshot[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, timeoutMs);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              if (message.value === null) continue;
              const snapshot = await serde.deserialize(message.value, { topic, part: 'value' });
              all.push(snapshot);
              const known = latest.get(snapshot.accountId);
              if (known === undefined || known.version < snapshot.version)
                latest.set(snapshot.accountId, snapshot);
            }
            if (done(latest)) {
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
  return { latest, all };
}
