/**
 * The expected final balances of a generated run, folded from the records in the order they were
 * sent, with the product's rules written out plainly (docs/balances.md) and nothing taken from the
 * balances topology, so that a run can check the topology against it:
 *
 * - the first arrival of a transaction id counts; a duplicate changes nothing;
 * - DEPOSIT, REFUND, TRANSFER_IN and CHARGEBACK credit the ledger; WITHDRAWAL, TRANSFER_OUT and
 *   FEE debit it; a CAPTURE debits its own amount (with or without an authorization: a force post);
 * - per authorization (named by the AUTHORIZATION's transactionId, per account):
 *     held = 0                                          once captured
 *          = max(0, authorized + incrementals − reversals)   otherwise
 *   whatever order its records arrive in; an incremental on a captured authorization holds its
 *   own amount as an authorization of its own;
 * - available = ledger − held, per account and currency.
 *
 * Hold expiry is not modelled: the generator keeps a run's event times far within it.
 * A currency is listed for an account once a transaction moved its ledger or its held amount, as
 * the balances topic lists it (a reversal that released nothing opens no currency).
 */
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';

export interface ExpectedCurrencyBalance {
  currency: string;
  ledgerMinor: bigint;
  heldMinor: bigint;
  availableMinor: bigint;
}

/** Per account id, every currency it used, in code order. */
export type ExpectedBalances = Map<string, ExpectedCurrencyBalance[]>;

/** The generator asked the fold to do something the product never does: a bug, not bad luck. */
export class ExpectedFoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpectedFoldError';
  }
}

const CREDITS: ReadonlySet<string> = new Set(['DEPOSIT', 'REFUND', 'TRANSFER_IN', 'CHARGEBACK']);
const DEBITS: ReadonlySet<string> = new Set(['WITHDRAWAL', 'TRANSFER_OUT', 'FEE']);

interface Position {
  ledgerMinor: bigint;
  heldMinor: bigint;
}

/** Everything that names one authorization, summed. */
interface AuthorizationTally {
  currency: string;
  captured: boolean;
  /** The authorization's amount plus its incrementals'. */
  authorizedMinor: bigint;
  reversedMinor: bigint;
  /** What this authorization counts in its account's held balance now. */
  heldMinor: bigint;
}

/** One account: its position per currency, and its authorizations by their transaction id. */
interface AccountTally {
  positions: Map<string, Position>;
  authorizations: Map<string, AuthorizationTally>;
}

export class ExpectedBalanceFold {
  readonly #seen = new Set<string>();
  readonly #accounts = new Map<string, AccountTally>();

  /** Applies one record as it arrives; false when it was a duplicate and changed nothing. */
  apply(record: TransactionRecord): boolean {
    if (this.#seen.has(record.transactionId)) return false;
    this.#seen.add(record.transactionId);
    const { type, amountMinor, currency } = record;
    const account = this.#account(record.accountId);
    if (CREDITS.has(type)) {
      position(account, currency).ledgerMinor += amountMinor;
    } else if (DEBITS.has(type)) {
      position(account, currency).ledgerMinor -= amountMinor;
    } else if (type === 'AUTHORIZATION') {
      const tally = authorization(account, record, record.transactionId);
      tally.authorizedMinor += amountMinor;
      settleHeld(account, tally);
    } else if (type === 'INCREMENTAL_AUTHORIZATION') {
      const tally = authorization(account, record, linkOf(record));
      // A captured authorization is closed: the incremental holds its own amount, on its own.
      const grows = tally.captured ? authorization(account, record, record.transactionId) : tally;
      grows.authorizedMinor += amountMinor;
      settleHeld(account, grows);
    } else if (type === 'CAPTURE') {
      position(account, currency).ledgerMinor -= amountMinor;
      const tally = authorization(account, record, linkOf(record));
      tally.captured = true;
      settleHeld(account, tally);
    } else if (type === 'REVERSAL') {
      const tally = authorization(account, record, linkOf(record));
      if (!tally.captured) tally.reversedMinor += amountMinor;
      settleHeld(account, tally);
    } else {
      throw new ExpectedFoldError(`no balance rule for transaction type ${type}`);
    }
    return true;
  }

  /** The account's available balance in the currency now (0 when it never used it). */
  available(accountId: string, currency: string): bigint {
    const found = this.#accounts.get(accountId)?.positions.get(currency);
    return found === undefined ? 0n : found.ledgerMinor - found.heldMinor;
  }

  /** Distinct transactions applied so far. */
  get transactions(): number {
    return this.#seen.size;
  }

  /** The balances now: every account with a currency it used, accounts and currencies in order. */
  balances(): ExpectedBalances {
    const result: ExpectedBalances = new Map();
    for (const accountId of [...this.#accounts.keys()].sort(byCode)) {
      const { positions } = this.#accounts.get(accountId) as AccountTally;
      if (positions.size === 0) continue;
      result.set(
        accountId,
        [...positions.keys()].sort(byCode).map((currency) => {
          const { ledgerMinor, heldMinor } = positions.get(currency) as Position;
          return { currency, ledgerMinor, heldMinor, availableMinor: ledgerMinor - heldMinor };
        }),
      );
    }
    return result;
  }

  #account(accountId: string): AccountTally {
    let account = this.#accounts.get(accountId);
    if (account === undefined) {
      account = { positions: new Map(), authorizations: new Map() };
      this.#accounts.set(accountId, account);
    }
    return account;
  }
}

/** Moves the account's held balance by what the authorization's held amount changed. */
function settleHeld(account: AccountTally, tally: AuthorizationTally): void {
  const open = tally.authorizedMinor - tally.reversedMinor;
  const held = tally.captured || open < 0n ? 0n : open;
  if (held === tally.heldMinor) return;
  position(account, tally.currency).heldMinor += held - tally.heldMinor;
  tally.heldMinor = held;
}

/** The tally of an authorization of the account, opened by whichever of its records comes first. */
function authorization(
  account: AccountTally,
  record: TransactionRecord,
  authorizationId: string,
): AuthorizationTally {
  let tally = account.authorizations.get(authorizationId);
  if (tally === undefined) {
    tally = {
      currency: record.currency,
      captured: false,
      authorizedMinor: 0n,
      reversedMinor: 0n,
      heldMinor: 0n,
    };
    account.authorizations.set(authorizationId, tally);
  } else if (tally.currency !== record.currency) {
    throw new ExpectedFoldError(
      `${record.type} ${record.transactionId} is in ${record.currency} but authorization ${authorizationId} is in ${tally.currency}`,
    );
  }
  return tally;
}

/** The account's position in a currency, opened at zero on first use. */
function position(account: AccountTally, currency: string): Position {
  let found = account.positions.get(currency);
  if (found === undefined) {
    found = { ledgerMinor: 0n, heldMinor: 0n };
    account.positions.set(currency, found);
  }
  return found;
}

function linkOf(record: TransactionRecord): string {
  if (record.authorizationId === null || record.authorizationId === '') {
    throw new ExpectedFoldError(`${record.type} ${record.transactionId} names no authorization`);
  }
  return record.authorizationId;
}

function byCode(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
