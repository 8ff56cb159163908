/**
 * A transaction as the product topology works with it: the Avro record of schemas/transaction.avsc,
 * checked. Money is bigint minor units with its currency, always.
 */

export const TRANSACTION_TYPES = [
  'AUTHORIZATION',
  'INCREMENTAL_AUTHORIZATION',
  'CAPTURE',
  'REVERSAL',
  'REFUND',
  'DEPOSIT',
  'WITHDRAWAL',
  'TRANSFER_IN',
  'TRANSFER_OUT',
  'FEE',
  'CHARGEBACK',
] as const;
export type TransactionType = (typeof TRANSACTION_TYPES)[number];

export const CHANNELS = ['POS', 'ECOMMERCE', 'ATM', 'TRANSFER', 'APP'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Merchant {
  id: string;
  name: string;
  /** ISO 18245 merchant category code. */
  mcc: string;
  country: string;
}

export interface Location {
  country: string;
  city: string;
  lat: number;
  lon: number;
}

/** The value of a record on the transactions topic (transaction.avsc), as Avro decodes it. */
export interface TransactionRecord {
  transactionId: string;
  accountId: string;
  /** A TransactionType when the writer's schema is ours; a newer writer may send other symbols. */
  type: string;
  amountMinor: bigint;
  currency: string;
  authorizationId: string | null;
  channel: string;
  cardId: string | null;
  merchant: Merchant | null;
  location: Location | null;
  /** ms since the epoch (timestamp-millis). */
  eventTime: number;
}

/** A checked transaction: what the balances (and fraud) processors receive. */
export interface Transaction extends TransactionRecord {
  type: TransactionType;
  channel: Channel;
}

/** The types that refer to an authorization (by its transactionId) and must name it. */
export const REFERS_TO_AUTHORIZATION: ReadonlySet<TransactionType> = new Set([
  'INCREMENTAL_AUTHORIZATION',
  'CAPTURE',
  'REVERSAL',
]);
