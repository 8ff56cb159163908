import { RejectedRecordError } from '../../processor/index.ts';

/** Why the product topology refuses a transaction (the dead letter's `saldo.dlq.error.code`). */
export type RejectionCode =
  | 'missing-value'
  | 'missing-field'
  | 'unknown-type'
  | 'unknown-channel'
  | 'non-positive-amount'
  | 'bad-currency'
  | 'missing-authorization-id'
  | 'account-key-mismatch'
  | 'currency-mismatch';

/** A transaction that breaks a rule of the product: it goes to the dead-letter topic with its code. */
export class InvalidTransactionError extends RejectedRecordError {
  declare readonly code: RejectionCode;
}

/** Refuses the transaction being processed. */
export function reject(code: RejectionCode, message: string): never {
  throw new InvalidTransactionError(code, message);
}
