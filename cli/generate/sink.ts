/**
 * Where generated transactions go: the port between the generator and a Kafka client (one
 * adapter, kafka-sink.ts), so the generator runs and is tested without a broker.
 */
import { SaldoError } from '../../processor/index.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import type { LimitUpdate } from './limits.ts';

export interface TransactionSink {
  /**
   * Sends a batch, in order, keyed by account with the event time as the record's timestamp;
   * resolves once it is acknowledged. The generator awaits one send before the next.
   */
  send(records: readonly TransactionRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Where the accounts' limit records go (the account-limits topic), before any transaction. */
export interface LimitSink {
  /** Sends a batch keyed by account; resolves once it is acknowledged. */
  send(updates: readonly LimitUpdate[]): Promise<void>;
  close(): Promise<void>;
}

/** Takes every batch and keeps nothing: a dry run that only writes the expected balances. */
export class DiscardingSink implements TransactionSink {
  async send(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A batch could not be sent (or encoded for sending); `retriable` says whether trying again may help. */
export class TransactionSinkError extends SaldoError {}
