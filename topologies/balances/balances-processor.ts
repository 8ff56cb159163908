import type {
  KeyValueStoreRef,
  Processor,
  ProcessorContext,
  StreamRecord,
  TtlKeyValueStoreRef,
} from '../../processor/index.ts';
import type { KeyValueStore, TtlKeyValueStore } from '../../state/index.ts';
import { reject } from '../transactions/rejection.ts';
import type { Transaction } from '../transactions/transaction.ts';
import { emptyAccountBalances, positionOf, snapshotOf, type AccountBalances } from './account-balances.ts';
import {
  authorize,
  capture,
  expire,
  heldOf,
  holdKey,
  increment,
  isOpen,
  reverse,
  settle,
  unseenHold,
  type Hold,
} from './hold.ts';
import type { BalanceSnapshot, SnapshotCause } from './snapshot.ts';

export const BALANCES_STORE = 'balances';
export const HOLDS_STORE = 'holds';

export interface BalancesOptions {
  /** Each account's balances, by accountId. */
  balances: KeyValueStoreRef<string, AccountBalances>;
  /** Authorizations' holds (holdKey), each expiring on stream time. */
  holds: TtlKeyValueStoreRef<string, Hold>;
  /** How long an authorization holds its amount, from its event time. */
  holdExpiryMs: number;
  /**
   * How long, in stream time, a hold that holds nothing more (captured, expired, reversed) or an
   * authorization not yet seen is remembered: late captures, reversals and authorizations find it.
   */
  holdMemoryMs: number;
  /** How often, in stream time, holds past their expiry are released. */
  expiryCheckIntervalMs: number;
  /** At most this many holds handled per sweep (a backlog goes over several). */
  expirySweepLimit: number;
}

const CREDITS: ReadonlySet<string> = new Set(['DEPOSIT', 'REFUND', 'TRANSFER_IN', 'CHARGEBACK']);
const DEBITS: ReadonlySet<string> = new Set(['WITHDRAWAL', 'TRANSFER_OUT', 'FEE']);

/**
 * Ledger, held and available per account and currency (docs/balances.md has the rules as a
 * table). Every change is stored and forwarded as a snapshot of the whole account with its next
 * version; a transaction that changes nothing forwards nothing.
 */
export class BalancesProcessor implements Processor<string, Transaction, string, BalanceSnapshot> {
  readonly #options: BalancesOptions;
  #balances!: KeyValueStore<string, AccountBalances>;
  #holds!: TtlKeyValueStore<string, Hold>;

  constructor(options: BalancesOptions) {
    this.#options = options;
  }

  init(ctx: ProcessorContext<string, BalanceSnapshot>): void {
    this.#balances = ctx.store(this.#options.balances);
    this.#holds = ctx.store(this.#options.holds);
    ctx.schedule(this.#options.expiryCheckIntervalMs, 'stream-time', (time) => this.#sweep(time, ctx));
  }

  process(record: StreamRecord<string, Transaction>, ctx: ProcessorContext<string, BalanceSnapshot>): void {
    const transaction = record.value;
    if (transaction === null) return;
    const { accountId, amountMinor, currency } = transaction;
    const account = this.#balances.get(accountId) ?? emptyAccountBalances();
    const now = ctx.streamTime;
    let changed: boolean;
    switch (transaction.type) {
      case 'AUTHORIZATION':
        changed = this.#updateHold(account, transaction, transaction.transactionId, now, (hold) =>
          authorize(hold, amountMinor, transaction.eventTime + this.#options.holdExpiryMs),
        ).changed;
        break;
      case 'INCREMENTAL_AUTHORIZATION': {
        const grown = this.#updateHold(account, transaction, authorizationOf(transaction), now, (hold) =>
          isOpen(hold)
            ? increment(hold, amountMinor, transaction.eventTime + this.#options.holdExpiryMs)
            : hold,
        );
        changed = grown.changed;
        // On a captured or expired authorization, the incremental holds its amount on its own.
        if (!isOpen(grown.hold)) {
          changed =
            this.#updateHold(account, transaction, transaction.transactionId, now, (hold) =>
              authorize(hold, amountMinor, transaction.eventTime + this.#options.holdExpiryMs),
            ).changed || changed;
        }
        break;
      }
      case 'CAPTURE':
        this.#updateHold(account, transaction, authorizationOf(transaction), now, capture);
        positionOf(account, currency).ledgerMinor -= amountMinor;
        changed = true;
        break;
      case 'REVERSAL':
        changed = this.#updateHold(account, transaction, authorizationOf(transaction), now, (hold) =>
          reverse(hold, amountMinor),
        ).changed;
        break;
      default:
        if (CREDITS.has(transaction.type)) positionOf(account, currency).ledgerMinor += amountMinor;
        else if (DEBITS.has(transaction.type)) positionOf(account, currency).ledgerMinor -= amountMinor;
        else throw new Error(`no balance rule for transaction type ${transaction.type}`);
        changed = true;
    }
    if (!changed) return;
    account.lastTransactionId = transaction.transactionId;
    account.eventTime = transaction.eventTime;
    this.#emit(accountId, account, 'TRANSACTION', ctx);
  }

  /**
   * Applies one step to the hold of an authorization (a record of it is created if it was never
   * seen), after releasing it if its expiry has passed, and moves the account's held balance by
   * what the hold's held amount changed. See #keep for how long the record stays.
   */
  #updateHold(
    account: AccountBalances,
    transaction: Transaction,
    authorizationId: string,
    now: number,
    step: (hold: Hold) => Hold,
  ): { changed: boolean; hold: Hold } {
    const key = holdKey(transaction.accountId, authorizationId);
    const found = this.#holds.peek(key)?.value;
    if (found !== undefined && found.currency !== transaction.currency) {
      reject(
        'currency-mismatch',
        `${transaction.type} ${transaction.transactionId} is in ${transaction.currency} but authorization ${authorizationId} holds ${found.currency}`,
      );
    }
    const before = found ?? unseenHold(transaction.accountId, authorizationId, transaction.currency);
    const after = settle(step(settle(before, now)), now);
    const heldDelta = heldOf(after) - heldOf(found);
    if (heldDelta !== 0n) positionOf(account, after.currency).heldMinor += heldDelta;
    this.#keep(key, after, found !== undefined, now);
    return { changed: heldDelta !== 0n, hold: after };
  }

  /**
   * Stores the hold until its expiry while it holds something. Once its authorization has been
   * seen and it holds nothing more (captured or expired), it is forgotten: later events of it
   * change balances as they would on a remembered one (a capture posts, a reversal releases
   * nothing, an incremental holds its own amount), and every closed hold would otherwise stay a
   * month in the store and its changelog. A record of an authorization not seen yet (its capture
   * or reversal came first) is kept for the memory time, so that the late authorization holds only
   * what is left.
   */
  #keep(key: string, hold: Hold, stored: boolean, now: number): void {
    if (heldOf(hold) > 0n) this.#holds.put(key, hold, hold.holdExpiresAt);
    else if (!hold.authorized || isOpen(hold)) this.#holds.put(key, hold, now + this.#options.holdMemoryMs);
    else if (stored) this.#holds.delete(key);
  }

  /** Releases holds whose expiry has passed; forgets records whose memory time is over. */
  async #sweep(now: number, ctx: ProcessorContext<string, BalanceSnapshot>): Promise<void> {
    for await (const entry of this.#holds.expired(this.#options.expirySweepLimit)) {
      const hold = entry.value;
      const held = heldOf(hold);
      if (held === 0n) {
        this.#holds.delete(entry.key);
        continue;
      }
      this.#keep(entry.key, expire(hold), true, now);
      const account = this.#balances.get(hold.accountId) ?? emptyAccountBalances();
      positionOf(account, hold.currency).heldMinor -= held;
      account.eventTime = now;
      this.#emit(hold.accountId, account, 'HOLD_EXPIRY', ctx);
    }
  }

  #emit(
    accountId: string,
    account: AccountBalances,
    cause: SnapshotCause,
    ctx: ProcessorContext<string, BalanceSnapshot>,
  ): void {
    account.version += 1;
    account.cause = cause;
    account.processingTime = ctx.now();
    this.#balances.put(accountId, account);
    ctx.forward({ key: accountId, value: snapshotOf(accountId, account) });
  }
}

/** parseTransaction made sure that the types that refer to an authorization name one. */
function authorizationOf(transaction: Transaction): string {
  return transaction.authorizationId as string;
}
