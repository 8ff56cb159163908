/**
 * The Kafka adapter of TransactionSink, and the only file of the generator that knows kafkajs: an
 * idempotent producer (acks from all in-sync replicas, one request in flight, so retries neither
 * duplicate nor reorder), records keyed by account (UTF-8) and placed by the Java client's murmur2
 * partitioner as any other upstream producer's would be, timestamped with their event time, values
 * in Avro through the schema registry.
 */
import { Kafka, logLevel, type LogEntry, type Message, type Producer } from 'kafkajs';
import {
  type RecordSerde,
  type SerdeContext,
  checkKafkaAccess,
  kafkaAccessFailure,
  kafkaJsSecurityOptions,
  type KafkaSecurity,
} from '../../processor/index.ts';
// Not exported by processor/index.ts (yet): the engine's own partitioner, so keys land where its
// tasks expect them.
import { connectOrderedProducer } from '../ordered-producer.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import type { LimitUpdate } from './limits.ts';
import { TransactionSinkError, type LimitSink, type TransactionSink } from './sink.ts';

export interface KafkaSinkOptions {
  brokers: string[];
  security?: KafkaSecurity | undefined;
  topic: string;
  /** The transactions topic's value serde (productSerdes(registry).transaction). */
  serde: RecordSerde<TransactionRecord>;
  clientId?: string;
  /** Where the Kafka client's warnings and errors go (stderr). */
  log: (line: string) => void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isRetriable(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'retriable' in error && error.retriable === true;
}

/** What is sent: keyed by account, timestamped with its own time, named in errors by its id. */
interface KeyedRecord {
  accountId: string;
}
interface RecordShape<T extends KeyedRecord> {
  timestampOf: (record: T) => number;
  nameOf: (record: T) => string;
}

const TRANSACTIONS: RecordShape<TransactionRecord> = {
  timestampOf: (record) => record.eventTime,
  nameOf: (record) => `transaction ${record.transactionId}`,
};
const LIMITS: RecordShape<LimitUpdate> = {
  timestampOf: (record) => record.updatedAt,
  nameOf: (record) => `the limits of ${record.accountId}`,
};

class KafkaRecordSink<T extends KeyedRecord> {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #serde: RecordSerde<T>;
  readonly #shape: RecordShape<T>;
  readonly #context: SerdeContext;

  constructor(producer: Producer, topic: string, serde: RecordSerde<T>, shape: RecordShape<T>) {
    this.#producer = producer;
    this.#topic = topic;
    this.#serde = serde;
    this.#shape = shape;
    this.#context = { topic, part: 'value' };
  }

  async send(records: readonly T[]): Promise<void> {
    const messages: Message[] = new Array<Message>(records.length);
    for (let i = 0; i < records.length; i++) {
      const record = records[i] as T;
      const value = this.#encode(record);
      messages[i] = {
        key: record.accountId,
        value: Buffer.isBuffer(value) ? value : await value,
        timestamp: String(this.#shape.timestampOf(record)),
      };
    }
    try {
      await this.#producer.send({ topic: this.#topic, acks: -1, messages });
    } catch (error) {
      throw new TransactionSinkError(
        `sending ${records.length} records to ${this.#topic} failed: ${messageOf(error)}`,
        {
          retriable: isRetriable(error),
          context: { topic: this.#topic },
          cause: error,
        },
      );
    }
  }

  async close(): Promise<void> {
    await this.#producer.disconnect();
  }

  /** Synchronous once the schema is registered: only the first record waits on the registry. */
  #encode(record: T): Buffer | Promise<Buffer> {
    let value: Buffer | Promise<Buffer>;
    try {
      value = this.#serde.serialize(record, this.#context);
    } catch (error) {
      throw this.#encodingFailed(record, error);
    }
    if (Buffer.isBuffer(value)) return value;
    return value.catch((error: unknown) => {
      throw this.#encodingFailed(record, error);
    });
  }

  #encodingFailed(record: T, error: unknown): TransactionSinkError {
    return new TransactionSinkError(`cannot encode ${this.#shape.nameOf(record)}: ${messageOf(error)}`, {
      retriable: false,
      context: { topic: this.#topic },
      cause: error,
    });
  }
}

/** Connects a producer to the brokers, after checking that the topic exists. */
export async function connectKafkaSink(options: KafkaSinkOptions): Promise<TransactionSink> {
  return connect(options, TRANSACTIONS);
}

export interface KafkaLimitSinkOptions extends Omit<KafkaSinkOptions, 'serde'> {
  /** The account-limits topic's value serde (limit-update.avsc through the registry). */
  serde: RecordSerde<LimitUpdate>;
}

/** The same for the accounts' limit records (key accountId, timestamp updatedAt). */
export async function connectKafkaLimitSink(options: KafkaLimitSinkOptions): Promise<LimitSink> {
  return connect(options, LIMITS);
}

async function connect<T extends KeyedRecord>(
  options: Omit<KafkaSinkOptions, 'serde'> & { serde: RecordSerde<T> },
  shape: RecordShape<T>,
): Promise<KafkaRecordSink<T>> {
  const clientId = options.clientId ?? 'saldo-generate';
  // Refused credentials and TLS failures stop here, without kafkajs' retries.
  await checkKafkaAccess({ clientId, brokers: options.brokers, security: options.security });
  const kafka = new Kafka({
    clientId,
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10_000 },
    ...kafkaJsSecurityOptions(options.security),
    logCreator:
      () =>
      ({ log: entry }: LogEntry) => {
        // Retries are bounded on purpose: a run that cannot send stops with an error instead of
        // hanging, and kafkajs warns about that for every idempotent producer.
        if (entry.message.startsWith('Limiting retries for the idempotent producer')) return;
        options.log(`kafka: ${entry.message}`);
      },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = await admin.listTopics();
    if (!topics.includes(options.topic)) {
      throw new TransactionSinkError(
        `topic ${options.topic} does not exist on ${options.brokers.join(',')}; create it first`,
        {
          retriable: false,
          context: { topic: options.topic },
        },
      );
    }
  } catch (error) {
    if (error instanceof TransactionSinkError) throw error;
    const denied = kafkaAccessFailure(error, options.security, options.brokers);
    if (denied !== undefined) throw denied;
    throw new TransactionSinkError(
      `cannot reach Kafka at ${options.brokers.join(',')}: ${messageOf(error)}`,
      {
        retriable: true,
        cause: error,
      },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const producer = await connectOrderedProducer(kafka);
  return new KafkaRecordSink(producer, options.topic, options.serde, shape);
}
