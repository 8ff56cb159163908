/** One currency of an account's snapshot: never summed with another currency. */
export interface CurrencyBalance {
  /** ISO 4217 code. */
  currency: string;
  /** Posted balance, integer minor units. */
  ledgerMinor: bigint;
  /** Open authorizations (holds), integer minor units. */
  heldMinor: bigint;
  /** ledgerMinor − heldMinor. */
  availableMinor: bigint;
}

export type SnapshotCause = 'TRANSACTION' | 'HOLD_EXPIRY';

/** The value of a record on the balances topic (schemas/balance-snapshot.avsc). */
export interface BalanceSnapshot {
  accountId: string;
  /** Per account, +1 with every snapshot. */
  version: bigint;
  cause: SnapshotCause;
  lastTransactionId: string | null;
  /** ms: the transaction's event time, or the stream time at which a hold expired. */
  eventTime: number;
  /** ms: wall-clock time of the change. */
  processingTime: number;
  /** Every currency of the account, in code order. */
  balances: CurrencyBalance[];
}
