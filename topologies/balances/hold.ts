import type { Serde } from '../../state/index.ts';
import { StoreValueReader, StoreValueWriter } from '../store-format.ts';

/**
 * What saldo knows of one authorization of one account: the authorization itself, and the
 * incrementals, captures and reversals that name it, in whatever order they arrived. What it holds
 * is derived from the amounts seen, so the result does not depend on that order (docs/balances.md):
 *
 *   held = 0                                      once captured or expired
 *        = max(0, authorized − reversed)          otherwise
 *
 * A capture or reversal that arrives before its authorization creates the record (the
 * authorization is not yet `authorized`): the late authorization then holds only what is left.
 */
export interface Hold {
  accountId: string;
  /** The transactionId of the AUTHORIZATION. */
  authorizationId: string;
  currency: string;
  /** The AUTHORIZATION itself has been seen. */
  authorized: boolean;
  /** A capture closed it (single-capture): it holds nothing more. */
  captured: boolean;
  /** Its expiry passed while it still held something, which was released. */
  expired: boolean;
  /** The authorization's amount plus every incremental's. */
  authorizedMinor: bigint;
  /** Every reversal's amount. */
  reversedMinor: bigint;
  /** When what it holds is released (ms of event time); 0 while it never held anything. */
  holdExpiresAt: number;
}

/** What the hold counts in its account's held balance now. */
export function heldOf(hold: Hold | undefined): bigint {
  if (hold === undefined || hold.captured || hold.expired) return 0n;
  const held = hold.authorizedMinor - hold.reversedMinor;
  return held > 0n ? held : 0n;
}

/** A record of an authorization not seen yet (a capture, reversal or incremental came first). */
export function unseenHold(accountId: string, authorizationId: string, currency: string): Hold {
  return {
    accountId,
    authorizationId,
    currency,
    authorized: false,
    captured: false,
    expired: false,
    authorizedMinor: 0n,
    reversedMinor: 0n,
    holdExpiresAt: 0,
  };
}

/** A hold can still grow or release: neither captured nor expired. */
export function isOpen(hold: Hold): boolean {
  return !hold.captured && !hold.expired;
}

/** The AUTHORIZATION arrives: it holds its amount (less what reversals already released). */
export function authorize(hold: Hold, amountMinor: bigint, expiresAt: number): Hold {
  // A second authorization of the same id can only be a duplicate beyond the dedup retention.
  if (hold.authorized) return hold;
  return {
    ...hold,
    authorized: true,
    authorizedMinor: hold.authorizedMinor + amountMinor,
    holdExpiresAt: Math.max(hold.holdExpiresAt, expiresAt),
  };
}

/** An INCREMENTAL_AUTHORIZATION grows an open hold and extends its expiry. */
export function increment(hold: Hold, amountMinor: bigint, expiresAt: number): Hold {
  return {
    ...hold,
    authorizedMinor: hold.authorizedMinor + amountMinor,
    holdExpiresAt: Math.max(hold.holdExpiresAt, expiresAt),
  };
}

/** A CAPTURE closes the hold: what it held is released (the capture posts its own amount). */
export function capture(hold: Hold): Hold {
  return { ...hold, captured: true };
}

/** A REVERSAL releases up to its amount of an open hold (reversals add up). */
export function reverse(hold: Hold, amountMinor: bigint): Hold {
  if (!isOpen(hold)) return hold;
  return { ...hold, reversedMinor: hold.reversedMinor + amountMinor };
}

/** The hold expires: what it still held is released. */
export function expire(hold: Hold): Hold {
  return isOpen(hold) ? { ...hold, expired: true } : hold;
}

/** Expires the hold if it holds something and its time has come (stream time `now`). */
export function settle(hold: Hold, now: number): Hold {
  return heldOf(hold) > 0n && hold.holdExpiresAt <= now ? expire(hold) : hold;
}

/**
 * The holds store's key: the account and the authorization, length-prefixed so that no two pairs
 * share a key. A capture names its authorization; it finds it only on its own account.
 */
export function holdKey(accountId: string, authorizationId: string): string {
  return `${accountId.length}:${accountId}${authorizationId}`;
}

const FORMAT_V1 = 1;
const SERDE_NAME = 'holdSerde';
const AUTHORIZED = 1;
const CAPTURED = 2;
const EXPIRED = 4;

/** The holds store's format: ids, currency, state flags, amounts as int64 minor units, expiry. */
export const holdSerde: Serde<Hold> = {
  serialize(hold) {
    const flags =
      (hold.authorized ? AUTHORIZED : 0) | (hold.captured ? CAPTURED : 0) | (hold.expired ? EXPIRED : 0);
    const size =
      1 +
      StoreValueWriter.textBytes(hold.accountId) +
      StoreValueWriter.textBytes(hold.authorizationId) +
      3 +
      1 +
      8 +
      8 +
      8;
    return new StoreValueWriter(size)
      .uint8(FORMAT_V1)
      .text(hold.accountId)
      .text(hold.authorizationId)
      .code3(hold.currency)
      .uint8(flags)
      .int64(hold.authorizedMinor)
      .int64(hold.reversedMinor)
      .number(hold.holdExpiresAt)
      .toBuffer();
  },
  deserialize(bytes) {
    const reader = new StoreValueReader(bytes, SERDE_NAME);
    reader.format(FORMAT_V1);
    const accountId = reader.text() ?? '';
    const authorizationId = reader.text() ?? '';
    const currency = reader.code3();
    const flags = reader.uint8();
    const authorizedMinor = reader.int64();
    const reversedMinor = reader.int64();
    const holdExpiresAt = reader.number();
    reader.end();
    return {
      accountId,
      authorizationId,
      currency,
      authorized: (flags & AUTHORIZED) !== 0,
      captured: (flags & CAPTURED) !== 0,
      expired: (flags & EXPIRED) !== 0,
      authorizedMinor,
      reversedMinor,
      holdExpiresAt,
    };
  },
};
