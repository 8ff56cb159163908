/**
 * Where a backtest's candidate alerts go: a topic of their own, created for the run (or an empty
 * one made for it beforehand), never a topic saldo runs on. Alerts are Avro through the registry
 * with fraud-alerts' schema (subject `<topic>-value`), keyed and placed by account as on
 * fraud-alerts, so the tools that read fraud-alerts (`saldo evaluate --topic`) read them too.
 */
import {
  kafkaJsSecurityOptions,
  type KafkaSecurity,
  ConfigError,
  type RecordSerde,
} from '../../processor/index.ts';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { AdminClient } from '../../processor/kafka/client.ts';
// The engine's own partitioner: alerts land on the partition of their account, as on fraud-alerts.
import { connectOrderedProducer } from '../ordered-producer.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';

/**
 * Checks that the output topic may take the run's alerts and creates it if missing (`partitions`
 * as the transactions topic). Refuses the topics saldo runs on (`forbidden`), and a topic that was
 * written to (another run's: the topic must hold exactly this run's alerts).
 */
export async function prepareOutputTopic(
  admin: AdminClient,
  topic: string,
  options: { partitions: number; forbidden: ReadonlySet<string> },
): Promise<'created' | 'empty'> {
  if (options.forbidden.has(topic)) {
    throw new ConfigError(
      `--output-topic ${topic} is a topic saldo runs on; a backtest writes only to a topic of its own`,
    );
  }
  const partitions = (await admin.partitionCounts([topic])).get(topic);
  if (partitions === undefined) {
    await admin.createTopics([{ topic, numPartitions: options.partitions }]);
    return 'created';
  }
  const ranges = await admin.offsetRange(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
  );
  if ([...ranges.values()].some((range) => range.end > 0)) {
    throw new ConfigError(
      `--output-topic ${topic} is not empty (another run's alerts?); name a new topic, or delete this one`,
    );
  }
  return 'empty';
}

const BATCH = 500;

/**
 * Sends alerts to the output topic in batches, in the order added, with an idempotent producer
 * (acks from all in-sync replicas): retries neither duplicate nor reorder them.
 */
export class AlertsWriter {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #serde: RecordSerde<FraudAlert>;
  #pending: FraudAlert[] = [];
  /** Batches go one after another, whoever adds them. */
  #sending: Promise<void> = Promise.resolve();
  #written = 0;

  private constructor(producer: Producer, topic: string, serde: RecordSerde<FraudAlert>) {
    this.#producer = producer;
    this.#topic = topic;
    this.#serde = serde;
  }

  static async connect(options: {
    brokers: string[];
    security?: KafkaSecurity | undefined;
    clientId: string;
    topic: string;
    serde: RecordSerde<FraudAlert>;
  }): Promise<AlertsWriter> {
    const kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: logLevel.ERROR,
      ...kafkaJsSecurityOptions(options.security),
    });
    const producer = await connectOrderedProducer(kafka);
    return new AlertsWriter(producer, options.topic, options.serde);
  }

  /** Alerts acknowledged by Kafka so far. */
  get written(): number {
    return this.#written;
  }

  /** Queues an alert; sends a batch once enough are queued (the promise settles when it is sent). */
  async add(alert: FraudAlert): Promise<void> {
    this.#pending.push(alert);
    if (this.#pending.length >= BATCH) await this.flush();
  }

  /** Sends whatever is queued. */
  async flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#sending = this.#sending.then(() => this.#send(batch));
    await this.#sending;
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
  }

  async #send(alerts: readonly FraudAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const context = { topic: this.#topic, part: 'value' as const };
    const messages = [];
    for (const alert of alerts) {
      messages.push({
        key: alert.accountId,
        value: await this.#serde.serialize(alert, context),
        timestamp: String(alert.eventTime),
      });
    }
    await this.#producer.send({ topic: this.#topic, acks: -1, messages });
    this.#written += alerts.length;
  }
}
