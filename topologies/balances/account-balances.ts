import { SerdeError, type Serde } from '../../state/index.ts';
import { StoreValueReader, StoreValueWriter } from '../store-format.ts';
import type { BalanceSnapshot, SnapshotCause } from './snapshot.ts';

/** Ledger and held of one currency, in integer minor units. */
export interface Position {
  ledgerMinor: bigint;
  heldMinor: bigint;
}

/**
 * The balances store's value: one account, every currency it has used, and the fraud half's state
 * of the account beside them. One record per account: a transaction reads and writes it once for
 * both halves, instead of a balances record and a fraud profile in stores of their own (one LevelDB
 * read, write and changelog record fewer per spend).
 */
export interface AccountBalances {
  /** Snapshots emitted so far: the last snapshot's version. */
  version: number;
  /** What made the last change. */
  cause: SnapshotCause;
  lastTransactionId: string | null;
  /** Event time of the last change (ms). */
  eventTime: number;
  /** Wall-clock time of the last change (ms). */
  processingTime: number;
  /** By ISO 4217 code. */
  positions: Map<string, Position>;
  /**
   * The fraud processor's profile of the account (velocity windows, activity), encoded by
   * topologies/fraud/fraud-profile.ts; null before its first spend, and always without fraud. The
   * balances processor carries it through as it is.
   */
  fraudProfileBytes: Buffer | null;
}

export function emptyAccountBalances(): AccountBalances {
  return {
    version: 0,
    cause: 'TRANSACTION',
    lastTransactionId: null,
    eventTime: 0,
    processingTime: 0,
    positions: new Map(),
    fraudProfileBytes: null,
  };
}

/**
 * Whether a snapshot of the account was ever emitted: a record the fraud processor wrote for an
 * account before any balance changed (a spend that moved nothing) has none to serve.
 */
export function hasSnapshot(account: AccountBalances): boolean {
  return account.version > 0;
}

/** The account's position in a currency, opened at zero on first use. */
export function positionOf(account: AccountBalances, currency: string): Position {
  let position = account.positions.get(currency);
  if (position === undefined) {
    position = { ledgerMinor: 0n, heldMinor: 0n };
    account.positions.set(currency, position);
  }
  return position;
}

/** The snapshot of the account as its last change left it. */
export function snapshotOf(accountId: string, account: AccountBalances): BalanceSnapshot {
  return {
    accountId,
    version: BigInt(account.version),
    cause: account.cause,
    lastTransactionId: account.lastTransactionId,
    eventTime: account.eventTime,
    processingTime: account.processingTime,
    balances: [...account.positions]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, { ledgerMinor, heldMinor }]) => ({
        currency,
        ledgerMinor,
        heldMinor,
        availableMinor: ledgerMinor - heldMinor,
      })),
  };
}

const FORMAT_V1 = 1;
/** V1's fields, then the fraud profile's bytes to the end of the value. */
const FORMAT_V2 = 2;
const SERDE_NAME = 'accountBalancesSerde';
const CAUSES: readonly SnapshotCause[] = ['TRANSACTION', 'HOLD_EXPIRY'];
/** A currency code and two int64 amounts. */
const POSITION_BYTES = 3 + 8 + 8;

/**
 * The balances store's format (and its changelog's): version, cause, times and the last
 * transaction id, then per currency its code, ledger and held as int64 minor units: the last
 * snapshot, whole (a serving cache can be rebuilt from the changelog). Binary: every transaction
 * reads and writes it. Format 2 appends the fraud profile's bytes; an account without one is
 * written in format 1, which the balances-only product has always written.
 */
export const accountBalancesSerde: Serde<AccountBalances> = {
  serialize(account) {
    const size = 1 + 8 + 1 + 8 + 8 + StoreValueWriter.textBytes(account.lastTransactionId) + 1;
    const profile = account.fraudProfileBytes;
    const profileBytes = profile === null ? 0 : profile.length;
    const writer = new StoreValueWriter(size + account.positions.size * POSITION_BYTES + profileBytes)
      .uint8(profile === null ? FORMAT_V1 : FORMAT_V2)
      .number(account.version)
      .uint8(CAUSES.indexOf(account.cause))
      .number(account.eventTime)
      .number(account.processingTime)
      .text(account.lastTransactionId)
      .uint8(account.positions.size);
    for (const [currency, position] of account.positions) {
      writer.code3(currency).int64(position.ledgerMinor).int64(position.heldMinor);
    }
    if (profile !== null) writer.bytes(profile);
    return writer.toBuffer();
  },
  deserialize(bytes) {
    const reader = new StoreValueReader(bytes, SERDE_NAME);
    const format = reader.formatIn([FORMAT_V1, FORMAT_V2]);
    const version = reader.number();
    const cause = CAUSES[reader.uint8()];
    if (cause === undefined) throw new SerdeError(SERDE_NAME, 'unknown snapshot cause');
    const eventTime = reader.number();
    const processingTime = reader.number();
    const lastTransactionId = reader.text();
    const count = reader.uint8();
    const positions = new Map<string, Position>();
    for (let i = 0; i < count; i++) {
      const currency = reader.code3();
      positions.set(currency, { ledgerMinor: reader.int64(), heldMinor: reader.int64() });
    }
    const fraudProfileBytes = format === FORMAT_V2 ? reader.rest() : null;
    reader.end();
    return { version, cause, lastTransactionId, eventTime, processingTime, positions, fraudProfileBytes };
  },
};
