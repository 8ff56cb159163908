import { reject } from './rejection.ts';
import {
  CHANNELS,
  REFERS_TO_AUTHORIZATION,
  TRANSACTION_TYPES,
  type Channel,
  type Transaction,
  type TransactionRecord,
  type TransactionType,
} from './transaction.ts';

const TYPES: ReadonlySet<string> = new Set(TRANSACTION_TYPES);
const CHANNEL_SET: ReadonlySet<string> = new Set(CHANNELS);
/** ISO 4217 codes in use, as the ICU data of this Node knows them (MXN, USD, EUR…). */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export function isCurrencyCode(code: string): boolean {
  return CURRENCIES.has(code);
}

function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    reject('missing-field', `${field} is missing or empty`);
  return value;
}

/**
 * Checks a decoded transaction against the product's rules and returns it typed; a breach throws
 * InvalidTransactionError with the rule's code (the record goes to the dead-letter topic). `key`
 * is the record's key: it must be the account, or the record would not reach its account's task.
 */
export function parseTransaction(value: TransactionRecord | null, key: string | null): Transaction {
  if (value === null) reject('missing-value', 'a transaction record needs a value (got a tombstone)');
  const transactionId = requireText(value.transactionId, 'transactionId');
  const accountId = requireText(value.accountId, 'accountId');
  if (key !== accountId) {
    reject('account-key-mismatch', `the record's key (${String(key)}) is not its accountId (${accountId})`);
  }
  if (!TYPES.has(value.type))
    reject('unknown-type', `unknown transaction type ${JSON.stringify(value.type)}`);
  const type = value.type as TransactionType;
  if (!CHANNEL_SET.has(value.channel))
    reject('unknown-channel', `unknown channel ${JSON.stringify(value.channel)}`);
  if (typeof value.amountMinor !== 'bigint' || value.amountMinor <= 0n) {
    reject(
      'non-positive-amount',
      `amountMinor must be a positive integer of minor units, got ${String(value.amountMinor)}`,
    );
  }
  if (typeof value.currency !== 'string' || !CURRENCIES.has(value.currency)) {
    reject('bad-currency', `currency ${JSON.stringify(value.currency)} is not an ISO 4217 code`);
  }
  if (REFERS_TO_AUTHORIZATION.has(type) && (value.authorizationId === null || value.authorizationId === '')) {
    reject('missing-authorization-id', `a ${type} must name its authorization (authorizationId)`);
  }
  // The decoded record itself, narrowed (no copy per transaction). A writer's schema without one
  // of the optional fields leaves it undefined: it reads as the reader's default, null.
  const transaction = value as Transaction;
  transaction.transactionId = transactionId;
  transaction.accountId = accountId;
  transaction.channel = value.channel as Channel;
  transaction.authorizationId ??= null;
  transaction.cardId ??= null;
  transaction.merchant ??= null;
  transaction.location ??= null;
  return transaction;
}
