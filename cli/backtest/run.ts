/**
 * A backtest: the product topology run twice in this process over the history of its inputs, once
 * with the production rule set and once with a candidate, in lock-step over one read of the
 * input. Nothing of the running application is touched: no consumer group of its own (the reads
 * use throwaway groups), no transactions, no Redis, no changelogs, no production topic; only the
 * candidate's alerts of the window are written, to a topic of their own.
 */
import {
  MissingTopicsError,
  PartitionCountMismatchError,
  TopologyReplay,
  systemClock,
  type Clock,
  type CommittedOutput,
  type ConsumedRecord,
  type Topology,
  type KafkaSecurity,
} from '../../processor/index.ts';
import { changelogTopicFor, deadLetterTopicFor } from '../../processor/internal-topics.ts';
import {
  ConfluentAvroRegistry,
  InMemoryAvroRegistry,
  productSerdes,
  type RegistrySecurity,
} from '../../schemas/index.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';
import { productTopology, type ProductSettings, type ProductTopics } from '../../topologies/product.ts';
import { operatorAdapter } from '../operator-adapter.ts';
import { readPartitionsToEnd } from '../read-topic.ts';
import { AlertsWriter, prepareOutputTopic } from './output-topic.ts';
import { AlertTally, type BacktestReport, type RuleSetSummary, type RunName, type Window } from './report.ts';

export interface BacktestConfig {
  /** The application whose inputs are read; names the backtest's Kafka clients (`<app>-backtest`). */
  readonly applicationId: string;
  readonly brokers: string[];
  readonly schemaRegistryUrl: string;
  readonly topics: ProductTopics;
  /** The product's settings but the rule set (`fraud.rules` is each run's). */
  readonly settings: ProductSettings & { readonly fraud: NonNullable<ProductSettings['fraud']> };
  readonly production: RuleSetSummary;
  readonly candidate: RuleSetSummary;
  readonly window: Window;
  readonly outputTopic: string;
  /** Where the runs' temporary state goes. */
  readonly stateDir: string;
  /** SALDO_KAFKA_* and SALDO_SCHEMA_REGISTRY_* (docs/security.md); absent for plain services. */
  readonly kafkaSecurity?: KafkaSecurity | undefined;
  readonly registrySecurity?: RegistrySecurity | undefined;
}

const PROGRESS_EVERY_MS = 5_000;

/** Runs the backtest and reports the alerts of both rule sets in the window. */
export async function runBacktest(
  config: BacktestConfig,
  deps: {
    clock?: Clock;
    /** Told every few seconds how far the read of the transactions is. */
    progress?: (done: { read: number; processed: number }) => void;
  } = {},
): Promise<BacktestReport> {
  const { topics, window } = config;
  const registry = ConfluentAvroRegistry.connect(config.schemaRegistryUrl, config.registrySecurity);
  const topologies = {
    production: backtestTopology(config, registry, config.production.json),
    candidate: backtestTopology(config, registry, config.candidate.json),
  };
  const adapter = operatorAdapter(config, 'backtest');
  const replays: TopologyReplay[] = [];
  let writer: AlertsWriter | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const admin = await adapter.admin();
    const partitions = await inputPartitions(admin, topics);
    await prepareOutputTopic(admin, config.outputTopic, {
      partitions,
      forbidden: new Set([
        ...Object.values(topics),
        ...topologies.production.storeSpecs
          .filter((store) => store.logged !== false)
          .map((store) => changelogTopicFor(config.applicationId, store.name)),
        deadLetterTopicFor(config.applicationId),
      ]),
    });
    const alertsWriter = await AlertsWriter.connect({
      brokers: config.brokers,
      security: config.kafkaSecurity,
      clientId: `${config.applicationId}-backtest`,
      topic: config.outputTopic,
      serde: productSerdes(registry).alert,
    });
    writer = alertsWriter;

    const tally = new AlertTally(window);
    const open = async (run: RunName): Promise<TopologyReplay> => {
      const replay = await TopologyReplay.open(topologies[run], {
        applicationId: `${config.applicationId}-backtest-${run}`,
        stateDir: config.stateDir,
        clock: deps.clock ?? systemClock,
        onOutputs: async (outputs) => {
          for (const alert of alertsOf(outputs, topics.fraudAlerts)) {
            if (tally.count(run, alert) && run === 'candidate') await alertsWriter.add(alert);
          }
        },
      });
      replays.push(replay);
      return replay;
    };
    const production = await open('production');
    const candidate = await open('candidate');

    // The limits table first, whole (compacted: about one record per account), then the
    // transactions; each run applies a limit record before the first transaction not older.
    const tables = new Map<number, ConsumedRecord[]>();
    await readPartitionsToEnd(adapter, partitionsOf(topics.accountLimits, partitions), (record) => {
      let records = tables.get(record.partition);
      if (records === undefined) tables.set(record.partition, (records = []));
      records.push(record);
    });
    for (const records of tables.values()) {
      await production.queueTable(records);
      await candidate.queueTable(records);
    }
    const { progress } = deps;
    if (progress !== undefined) ticker = setInterval(() => progress(tally.progress), PROGRESS_EVERY_MS);
    await readPartitionsToEnd(adapter, partitionsOf(topics.transactions, partitions), async (record) => {
      if (!tally.admits(await production.orderingTime(record))) return;
      await production.process(record);
      await candidate.process(record);
    });
    for (const replay of replays) await replay.flush();
    await alertsWriter.flush();
    return tally.report({
      production: config.production,
      candidate: config.candidate,
      outputTopic: config.outputTopic,
      written: alertsWriter.written,
      deadLetters: production.deadLetters,
    });
  } finally {
    clearInterval(ticker);
    for (const replay of replays) await replay.close();
    await writer?.close();
    await adapter.close();
  }
}

/** The product topology with one run's rule set, its outputs kept in memory (Avro, a local registry). */
function backtestTopology(config: BacktestConfig, registry: ConfluentAvroRegistry, rules: unknown): Topology {
  const inputs = productSerdes(registry);
  const outputs = productSerdes(new InMemoryAvroRegistry());
  return productTopology({
    topics: config.topics,
    settings: { ...config.settings, fraud: { ...config.settings.fraud, rules } },
    serdes: {
      transaction: inputs.transaction,
      limitUpdate: inputs.limitUpdate,
      snapshot: outputs.snapshot,
      alert: outputs.alert,
    },
  });
}

/** The partition count of the product's inputs, which must exist and be co-partitioned. */
async function inputPartitions(
  admin: { partitionCounts(topics: string[]): Promise<Map<string, number | undefined>> },
  topics: ProductTopics,
): Promise<number> {
  const counts = await admin.partitionCounts([topics.transactions, topics.accountLimits]);
  const missing = [...counts].filter(([, count]) => count === undefined).map(([topic]) => topic);
  if (missing.length > 0) {
    throw new MissingTopicsError('input', missing, 'check --transactions-topic and --limits-topic');
  }
  const transactions = counts.get(topics.transactions) as number;
  if (counts.get(topics.accountLimits) !== transactions) {
    throw new PartitionCountMismatchError(Object.fromEntries(counts) as Record<string, number>);
  }
  return transactions;
}

function partitionsOf(topic: string, count: number): Array<{ topic: string; partition: number }> {
  return Array.from({ length: count }, (_, partition) => ({ topic, partition }));
}

function* alertsOf(outputs: readonly CommittedOutput[], topic: string): Generator<FraudAlert> {
  for (const output of outputs) {
    if (output.topic === topic && output.value !== null) yield output.value as FraudAlert;
  }
}
