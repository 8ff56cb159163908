import {
  TopologyBuilder,
  keyValueStore,
  recordSerde,
  ttlKeyValueStore,
  type RecordSerde,
  type Topology,
} from '../processor/index.ts';
import { stringSerde } from '../state/index.ts';
import type { FraudAlert } from './fraud/alert.ts';
import { FraudProcessor, LIMITS_STORE, type FraudObserver } from './fraud/fraud-processor.ts';
import { accountLimitsSerde, type LimitUpdate } from './fraud/limits.ts';
import { defaultRuleSetJson, parseRuleSet } from './fraud/rule-set.ts';
import { accountBalancesSerde } from './balances/account-balances.ts';
import { BALANCES_STORE, BalancesProcessor, HOLDS_STORE } from './balances/balances-processor.ts';
import { holdSerde } from './balances/hold.ts';
import type { BalanceSnapshot } from './balances/snapshot.ts';
import { AdmitTransactions, TRANSACTION_IDS_STORE } from './transactions/admit.ts';
import type { TransactionRecord } from './transactions/transaction.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The topics of the product topology (a contract: other teams build on these names). */
export interface ProductTopics {
  /** Input: transactions keyed by accountId (transaction.avsc). */
  transactions: string;
  /** Output, compacted: the latest balance snapshot per account (balance-snapshot.avsc). */
  balances: string;
  /** Input, compacted, co-partitioned with transactions: each account's limits (limit-update.avsc). */
  accountLimits: string;
  /** Output: fraud alerts keyed by accountId (fraud-alert.avsc). */
  fraudAlerts: string;
}

export const DEFAULT_PRODUCT_TOPICS: ProductTopics = {
  transactions: 'transactions',
  balances: 'balances',
  accountLimits: 'account-limits',
  fraudAlerts: 'fraud-alerts',
};

/** The product's topics with a prefix (`<prefix>-transactions`, …): scratch apps of tests and benchmarks. */
export function prefixedProductTopics(prefix: string): ProductTopics {
  return {
    transactions: `${prefix}-transactions`,
    balances: `${prefix}-balances`,
    accountLimits: `${prefix}-account-limits`,
    fraudAlerts: `${prefix}-fraud-alerts`,
  };
}

/** The product's rules that an operator may tune (cli/product-config.ts reads them). */
export interface ProductSettings {
  /** How long an authorization holds its amount, in event time. */
  holdExpiryMs: number;
  /** How long a transaction id is remembered, in stream time: a duplicate within it changes nothing. */
  dedupRetentionMs: number;
  /** Transactions timestamped further ahead of the wall clock are refused (dead letters). */
  maxEventTimeAheadMs: number;
  /** Velocity, limits and rules; null: balances only (the benchmark's comparison). */
  fraud: FraudSettings | null;
}

/** The fraud half's settings, in plain data (stream threads are handed them). */
export interface FraudSettings {
  /** The rule set as JSON (topologies/fraud/default-rules.json or `--rules <file>`), validated on use. */
  rules: unknown;
  /** How far behind stream time a transaction still counts in its velocity windows. */
  graceMs: number;
}

export const DEFAULT_FRAUD_GRACE_MS = 5 * MINUTE;

/**
 * The task read cache `saldo run` gives the product unless SALDO_STATE_CACHE_MAX_BYTES_PER_TASK says
 * otherwise: none. A million accounts over a few tasks are read about once per transaction each,
 * so a cache of a few MiB answers almost nothing and its churn (an entry stored and one evicted per
 * read, all on the V8 heap) costs more than the LevelDB reads it saves: 5-8% less CPU per
 * transaction without it (bench/pipeline-core.ts, 125,000 accounts, BENCHMARKS.md 2026-12-07).
 */
export const PRODUCT_STATE_CACHE_BYTES_PER_TASK = 0;

export const DEFAULT_PRODUCT_SETTINGS: ProductSettings = {
  holdExpiryMs: 7 * DAY,
  dedupRetentionMs: 30 * DAY,
  maxEventTimeAheadMs: DAY,
  fraud: { rules: defaultRuleSetJson(), graceMs: DEFAULT_FRAUD_GRACE_MS },
};

/** The record serdes of the product's topics (Avro through the registry when it runs). */
export interface ProductSerdes {
  transaction: RecordSerde<TransactionRecord>;
  snapshot: RecordSerde<BalanceSnapshot>;
  limitUpdate: RecordSerde<LimitUpdate>;
  alert: RecordSerde<FraudAlert>;
}

/** The sink of balance snapshots (the Redis serving cache takes its outputs). */
export const PRODUCT_SINK = 'balances-out';
/** The sink of fraud alerts. */
export const ALERTS_SINK = 'fraud-alerts-out';

/** How often expiry runs, in stream time, and how much it does per run. */
const EXPIRY_CHECK_INTERVAL_MS = MINUTE;
const EXPIRY_LIMIT_PER_RUN = 10_000;

/**
 * The topology `saldo run` runs: transactions come in, are checked and de-duplicated (`admit`),
 * and change balances (`balances`), whose snapshots go to the compacted balances topic. Fraud
 * (velocity, limits, rules) plugs in beside `balances` as more children of `admit`, on the same
 * input and tasks. The processor and store names are the changelogs' names: keep them.
 */
export function productTopology(options: {
  topics?: ProductTopics;
  settings?: ProductSettings;
  serdes: ProductSerdes;
  /** Told of late records and alerts (metrics). */
  fraudObserver?: FraudObserver;
}): Topology {
  const topics = options.topics ?? DEFAULT_PRODUCT_TOPICS;
  const settings = options.settings ?? DEFAULT_PRODUCT_SETTINGS;
  const accountKeys = recordSerde(stringSerde, 'string');
  const transactionIds = ttlKeyValueStore(TRANSACTION_IDS_STORE, {
    keySerde: stringSerde,
    valueSerde: stringSerde,
    ttlMs: settings.dedupRetentionMs,
    // An id is read once, when its transaction arrives (a duplicate is rare): caching it would
    // only evict the accounts and holds that are read again.
    cached: false,
    writtenPerRecord: true,
  });
  const balances = keyValueStore(BALANCES_STORE, {
    keySerde: stringSerde,
    valueSerde: accountBalancesSerde,
    writtenPerRecord: true,
  });
  const holds = ttlKeyValueStore(HOLDS_STORE, {
    keySerde: stringSerde,
    valueSerde: holdSerde,
    // Every put gives its own expiry; this is the longest a hold is remembered.
    ttlMs: Math.max(settings.holdExpiryMs, settings.dedupRetentionMs),
  });
  const builder = new TopologyBuilder()
    .addSource('transactions', {
      topics: [topics.transactions],
      keySerde: accountKeys,
      valueSerde: options.serdes.transaction,
      timestampOf: (transaction) => transaction.eventTime,
      maxTimestampAheadMs: settings.maxEventTimeAheadMs,
    })
    .addStore(transactionIds)
    .addProcessor('admit', {
      parents: ['transactions'],
      stores: [transactionIds],
      create: () =>
        new AdmitTransactions({
          transactionIds,
          purgeIntervalMs: EXPIRY_CHECK_INTERVAL_MS,
          purgeLimit: EXPIRY_LIMIT_PER_RUN,
        }),
    })
    .addStore(balances)
    .addStore(holds)
    .addProcessor('balances', {
      parents: ['admit'],
      stores: [balances, holds],
      create: () =>
        new BalancesProcessor({
          balances,
          holds,
          holdExpiryMs: settings.holdExpiryMs,
          holdMemoryMs: settings.dedupRetentionMs,
          expiryCheckIntervalMs: EXPIRY_CHECK_INTERVAL_MS,
          expirySweepLimit: EXPIRY_LIMIT_PER_RUN,
        }),
    })
    .addSink(PRODUCT_SINK, {
      parents: ['balances'],
      topic: topics.balances,
      keySerde: accountKeys,
      valueSerde: options.serdes.snapshot,
      topicConfigs: { 'cleanup.policy': 'compact' },
    });
  const fraud = settings.fraud;
  if (fraud === null) return builder.build();
  const ruleSet = parseRuleSet(fraud.rules, 'of the product settings');
  const grace = fraud.graceMs;
  const limits = keyValueStore(LIMITS_STORE, { keySerde: stringSerde, valueSerde: accountLimitsSerde });
  return (
    builder
      // The account-limits topic is the store's changelog; read to its end before transactions, then
      // in timestamp order with them (updatedAt), so a change applies from the next transaction.
      .addTableSource('account-limits', {
        topic: topics.accountLimits,
        keySerde: accountKeys,
        valueSerde: options.serdes.limitUpdate,
        store: limits,
        timestampOf: (update) => update.updatedAt,
      })
      // Each account's fraud profile lives in its balances record (one read and write per spend for
      // both halves); kept while the account exists: dormancy is months of silence, and its
      // velocity buckets are bounded.
      .addProcessor('fraud', {
        parents: ['admit'],
        stores: [limits, balances],
        create: () =>
          new FraudProcessor({
            ruleSet,
            graceMs: grace,
            limits,
            balances,
            ...(options.fraudObserver === undefined ? {} : { observer: options.fraudObserver }),
          }),
      })
      .addSink(ALERTS_SINK, {
        parents: ['fraud'],
        topic: topics.fraudAlerts,
        keySerde: accountKeys,
        valueSerde: options.serdes.alert,
      })
      .build()
  );
}
