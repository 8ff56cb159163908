import { TopologyTestDriver, DLQ_HEADERS } from '../../processor/index.ts';
import { InMemoryAvroRegistry, productSerdes } from '../../schemas/index.ts';
import type { AccountBalances } from '../../topologies/balances/account-balances.ts';
import type { BalanceSnapshot } from '../../topologies/balances/snapshot.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';
import type { FraudObserver } from '../../topologies/fraud/fraud-processor.ts';
import type { LimitUpdate } from '../../topologies/fraud/limits.ts';
import {
  DEFAULT_PRODUCT_SETTINGS,
  DEFAULT_PRODUCT_TOPICS,
  productTopology,
  type ProductSettings,
} from '../../topologies/product.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';

/** 2026-12-01T00:00Z: event times of the golden scenarios count from here. */
export const T0 = Date.UTC(2026, 11, 1);
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

let sequence = 0;

/** A transaction with sensible defaults: a 100.00 MXN card payment at T0 on account acct-1. */
export function transaction(fields: Partial<TransactionRecord> = {}): TransactionRecord {
  sequence += 1;
  return {
    transactionId: `tx-${sequence}`,
    accountId: 'acct-1',
    type: 'DEPOSIT',
    amountMinor: 10_000n,
    currency: 'MXN',
    authorizationId: null,
    channel: 'POS',
    cardId: null,
    merchant: null,
    location: null,
    eventTime: T0,
    ...fields,
  };
}

export interface DeadLetterSummary {
  reason: string | undefined;
  code: string | undefined;
  message: string | undefined;
}

/**
 * The product topology in a TopologyTestDriver, with Avro through an in-memory registry: what
 * `saldo run` runs, without a broker. The wall clock starts at T0.
 */
export class ProductDriver {
  readonly driver: TopologyTestDriver;
  readonly registry: InMemoryAvroRegistry;

  private constructor(driver: TopologyTestDriver, registry: InMemoryAvroRegistry) {
    this.driver = driver;
    this.registry = registry;
  }

  static async create(
    settings: Partial<ProductSettings> = {},
    options: { fraudObserver?: FraudObserver } = {},
  ): Promise<ProductDriver> {
    const registry = new InMemoryAvroRegistry();
    const topology = productTopology({
      settings: { ...DEFAULT_PRODUCT_SETTINGS, ...settings },
      serdes: productSerdes(registry),
      ...options,
    });
    const driver = await TopologyTestDriver.create(topology, { applicationId: 'saldo', wallClockStart: T0 });
    return new ProductDriver(driver, registry);
  }

  /**
   * Pipes transactions (keyed by their account) and commits after each. The wall clock is moved up
   * to each one's event time first, as time passes for a running instance.
   */
  async send(...transactions: TransactionRecord[]): Promise<void> {
    for (const value of transactions) {
      const ahead = value.eventTime - this.driver.clock.now();
      if (ahead > 0) this.driver.clock.advance(ahead);
      await this.driver.pipe(DEFAULT_PRODUCT_TOPICS.transactions, { key: value.accountId, value });
    }
  }

  /** Every snapshot emitted so far, in order. */
  snapshots(accountId?: string): BalanceSnapshot[] {
    return this.driver
      .outputs<string, BalanceSnapshot>(DEFAULT_PRODUCT_TOPICS.balances)
      .map((output) => output.value as BalanceSnapshot)
      .filter((snapshot) => accountId === undefined || snapshot.accountId === accountId);
  }

  /** Publishes an account's limits on account-limits (at its updatedAt). */
  async setLimits(update: LimitUpdate): Promise<void> {
    await this.driver.pipe(DEFAULT_PRODUCT_TOPICS.accountLimits, {
      key: update.accountId,
      value: update,
      timestamp: update.updatedAt,
    });
  }

  /** A tombstone on account-limits: the account's overrides are gone. */
  async removeLimits(accountId: string, at: number): Promise<void> {
    await this.driver.pipe(DEFAULT_PRODUCT_TOPICS.accountLimits, {
      key: accountId,
      value: null,
      timestamp: at,
    });
  }

  /** Every fraud alert emitted so far, in order (of one rule, if given). */
  alerts(ruleId?: string): FraudAlert[] {
    return this.driver
      .outputs<string, FraudAlert>(DEFAULT_PRODUCT_TOPICS.fraudAlerts)
      .map((output) => output.value as FraudAlert)
      .filter((alert) => ruleId === undefined || alert.ruleId === ruleId);
  }

  lastSnapshot(accountId = 'acct-1'): BalanceSnapshot | undefined {
    return this.snapshots(accountId).at(-1);
  }

  /** The account's balance in one currency, from the store: [ledger, held, available]. */
  balance(accountId = 'acct-1', currency = 'MXN'): [bigint, bigint, bigint] {
    const account = this.driver.keyValueStore<string, AccountBalances>('balances').get(accountId);
    const position = account?.positions.get(currency) ?? { ledgerMinor: 0n, heldMinor: 0n };
    return [position.ledgerMinor, position.heldMinor, position.ledgerMinor - position.heldMinor];
  }

  deadLetters(): DeadLetterSummary[] {
    return this.driver.deadLetters().map((record) => ({
      reason: record.headers[DLQ_HEADERS.reason]?.toString(),
      code: record.headers[DLQ_HEADERS.errorCode]?.toString(),
      message: record.headers[DLQ_HEADERS.errorMessage]?.toString(),
    }));
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/** A value in the Confluent wire format: magic byte, schema id, Avro body. */
export function confluentBytes(id: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  return Buffer.concat([header, body]);
}
