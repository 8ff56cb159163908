import type { Kafka, Producer } from 'kafkajs';
import { javaCompatiblePartitioner } from '../processor/kafka/kafkajs/partitioner.ts';

/**
 * The producer the CLI writes records with (the generator's transactions and limits, backtest's
 * alerts): idempotent, one request in flight so that a retry cannot reorder a key's records, no
 * topic created by accident, and keys placed as Java clients place them (the partition of a key is
 * the one `saldo run` and the query API compute).
 */
export async function connectOrderedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: javaCompatiblePartitioner,
  });
  await producer.connect();
  return producer;
}
