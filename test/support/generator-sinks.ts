import {
  connectKafkaLimitSink,
  connectKafkaSink,
  runGenerator,
  silentProgress,
  systemRunClock,
  type GenerateSummary,
  type GeneratorRunOptions,
  type LimitSink,
  type TransactionSink,
} from '../../cli/generate/index.ts';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import type { LimitUpdate } from '../../topologies/fraud/limits.ts';
import type { ProductTopics } from '../../topologies/product.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import { services } from './services.ts';

type ProductSerdes = ReturnType<typeof productSerdes>;

/** The product's Avro serdes through the test services' schema registry. */
const registrySerdes = (): ProductSerdes =>
  productSerdes(ConfluentAvroRegistry.connect(services().schemaRegistryUrl));

/** The generator's Kafka sink on a transactions topic of the test broker, Avro through the registry. */
export async function connectTransactionSink(
  topic: string,
  serdes = registrySerdes(),
): Promise<TransactionSink> {
  return connectKafkaSink({
    brokers: services().kafkaBrokers,
    topic,
    serde: serdes.transaction,
    log: () => undefined,
  });
}

/** Where a generator run sends: the transactions, and the accounts' limits in realistic runs. */
export interface GeneratorSinks {
  transactions: TransactionSink;
  limits?: LimitSink;
}

/** Sinks that also keep what they sent, for a reference run of the same input. */
export interface RecordingSinks extends GeneratorSinks {
  limits: LimitSink;
  /** Every transaction sent so far, in order (each a copy of the record handed to Kafka). */
  readonly sent: TransactionRecord[];
  /** Every limit update published so far, in order. */
  readonly published: LimitUpdate[];
}

/**
 * The generator's transaction and limit sinks on the product's topics, each recording a batch as
 * it hands it to Kafka, so that `sent` can also be watched while the run goes.
 */
export async function recordingSinks(
  topics: Pick<ProductTopics, 'transactions' | 'accountLimits'>,
): Promise<RecordingSinks> {
  const serdes = registrySerdes();
  const transactionSink = await connectTransactionSink(topics.transactions, serdes);
  const limitSink = await connectKafkaLimitSink({
    brokers: services().kafkaBrokers,
    topic: topics.accountLimits,
    serde: serdes.limitUpdate,
    log: () => undefined,
  });
  const sent: TransactionRecord[] = [];
  const published: LimitUpdate[] = [];
  return {
    sent,
    published,
    transactions: {
      async send(batch) {
        sent.push(...batch.map((record) => ({ ...record })));
        await transactionSink.send(batch);
      },
      close: () => transactionSink.close(),
    },
    limits: {
      async send(batch) {
        published.push(...batch);
        await limitSink.send(batch);
      },
      close: () => limitSink.close(),
    },
  };
}

/**
 * A generator run into the sinks, paced by the wall clock and without progress output, as
 * `saldo generate` does; the sinks are closed afterwards, whether the run ended or failed.
 */
export async function runGeneratorInto(
  sinks: GeneratorSinks,
  options: GeneratorRunOptions,
): Promise<GenerateSummary> {
  try {
    return await runGenerator(options, sinks.transactions, {
      clock: systemRunClock,
      progress: silentProgress,
      limits: sinks.limits,
    });
  } finally {
    await sinks.transactions.close();
    await sinks.limits?.close();
  }
}
