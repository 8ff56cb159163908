import { describe, expect, it } from 'vitest';
import { ExpectedBalanceFold, ExpectedFoldError } from '../../../../cli/generate/index.ts';
import type { TransactionRecord } from '../../../../topologies/transactions/transaction.ts';

let serial = 0;

/** A transaction of acct-1 in pesos, with a fresh id unless one is given. */
function tx(type: string, amountMinor: bigint, fields: Partial<TransactionRecord> = {}): TransactionRecord {
  serial += 1;
  return {
    transactionId: `t-${serial}`,
    accountId: 'acct-1',
    type,
    amountMinor,
    currency: 'MXN',
    authorizationId: null,
    channel: 'POS',
    cardId: 'card-1',
    merchant: null,
    location: null,
    eventTime: 0,
    ...fields,
  };
}

const auth = (id: string, amountMinor: bigint, fields: Partial<TransactionRecord> = {}) =>
  tx('AUTHORIZATION', amountMinor, { transactionId: id, ...fields });
const on = (
  type: string,
  authorizationId: string,
  amountMinor: bigint,
  fields: Partial<TransactionRecord> = {},
) => tx(type, amountMinor, { authorizationId, ...fields });

/** [ledger, held, available] of an account in a currency after folding the records in order. */
function fold(...records: TransactionRecord[]) {
  const expected = new ExpectedBalanceFold();
  for (const record of records) expected.apply(record);
  const balances = expected.balances();
  return (accountId = 'acct-1', currency = 'MXN') => {
    const balance = balances.get(accountId)?.find((entry) => entry.currency === currency);
    return balance && [balance.ledgerMinor, balance.heldMinor, balance.availableMinor];
  };
}

describe('the expected balances fold', () => {
  it('credits deposits, refunds, incoming transfers and chargebacks; debits withdrawals, outgoing transfers and fees', () => {
    const balance = fold(
      tx('DEPOSIT', 50_000n),
      tx('REFUND', 1_250n),
      tx('TRANSFER_IN', 20_000n),
      tx('CHARGEBACK', 3_000n),
      tx('WITHDRAWAL', 8_000n),
      tx('TRANSFER_OUT', 1_500n),
      tx('FEE', 700n),
    );
    expect(balance()).toEqual([64_050n, 0n, 64_050n]);
  });

  it('holds an authorization, and a partial capture posts its amount and releases the whole hold', () => {
    expect(fold(tx('DEPOSIT', 100_000n), auth('a', 45_000n))()).toEqual([100_000n, 45_000n, 55_000n]);
    expect(fold(tx('DEPOSIT', 100_000n), auth('a', 45_000n), on('CAPTURE', 'a', 30_000n))()).toEqual([
      70_000n,
      0n,
      70_000n,
    ]);
  });

  it('posts a capture above its hold (a tip) whole', () => {
    expect(fold(auth('a', 4_500n), on('CAPTURE', 'a', 5_500n))()).toEqual([-5_500n, 0n, -5_500n]);
  });

  it('releases what reversals add up to, never below zero', () => {
    expect(fold(auth('a', 10_000n), on('REVERSAL', 'a', 10_000n))()).toEqual([0n, 0n, 0n]);
    expect(fold(auth('a', 10_000n), on('REVERSAL', 'a', 3_000n), on('REVERSAL', 'a', 5_000n))()).toEqual([
      0n,
      2_000n,
      -2_000n,
    ]);
    expect(fold(auth('a', 10_000n), on('REVERSAL', 'a', 8_000n), on('REVERSAL', 'a', 8_000n))()).toEqual([
      0n,
      0n,
      0n,
    ]);
  });

  it('remembers a capture or reversal that comes before its authorization', () => {
    expect(fold(on('CAPTURE', 'a', 8_000n), auth('a', 10_000n))()).toEqual([-8_000n, 0n, -8_000n]);
    expect(fold(on('REVERSAL', 'a', 3_000n), auth('a', 10_000n))()).toEqual([0n, 7_000n, -7_000n]);
  });

  it('posts a capture that never had an authorization (a force post)', () => {
    expect(fold(tx('DEPOSIT', 10_000n), on('CAPTURE', 'never-seen', 2_500n))()).toEqual([7_500n, 0n, 7_500n]);
  });

  it('counts the first arrival of a transaction id: a duplicate, even with another amount, changes nothing', () => {
    const deposit = tx('DEPOSIT', 10_000n);
    const expected = new ExpectedBalanceFold();
    expect(expected.apply(deposit)).toBe(true);
    expect(expected.apply({ ...deposit, amountMinor: 99_999n })).toBe(false);
    expect(expected.transactions).toBe(1);
    expect(fold(deposit, { ...deposit, amountMinor: 99_999n })()).toEqual([10_000n, 0n, 10_000n]);
    const authorization = auth('a', 5_000n);
    expect(fold(authorization, { ...authorization, amountMinor: 7_000n })()).toEqual([0n, 5_000n, -5_000n]);
  });

  it('grows a hold by incrementals, and the capture releases all of it', () => {
    const grown = [auth('h', 150_000n), on('INCREMENTAL_AUTHORIZATION', 'h', 50_000n)];
    expect(fold(...grown)()).toEqual([0n, 200_000n, -200_000n]);
    expect(fold(...grown, on('CAPTURE', 'h', 190_000n))()).toEqual([-190_000n, 0n, -190_000n]);
  });

  it('lets an incremental on a captured authorization hold its own amount', () => {
    expect(
      fold(auth('h', 1_000n), on('CAPTURE', 'h', 1_000n), on('INCREMENTAL_AUTHORIZATION', 'h', 300n))(),
    ).toEqual([-1_000n, 300n, -1_300n]);
  });

  it('keeps dollars apart from pesos, currencies in code order', () => {
    const expected = new ExpectedBalanceFold();
    for (const record of [
      tx('TRANSFER_IN', 10_000n, { currency: 'USD' }),
      auth('u', 2_500n, { currency: 'USD' }),
      tx('DEPOSIT', 99_900n),
    ]) {
      expected.apply(record);
    }
    expect(expected.balances().get('acct-1')).toEqual([
      { currency: 'MXN', ledgerMinor: 99_900n, heldMinor: 0n, availableMinor: 99_900n },
      { currency: 'USD', ledgerMinor: 10_000n, heldMinor: 2_500n, availableMinor: 7_500n },
    ]);
  });

  it('keeps each account apart, listed in account order', () => {
    const expected = new ExpectedBalanceFold();
    expected.apply(tx('DEPOSIT', 300n, { accountId: 'acct-3' }));
    expected.apply(auth('same-id', 100n, { accountId: 'acct-2' }));
    expected.apply(on('CAPTURE', 'same-id', 100n, { accountId: 'acct-1' }));
    expect([...expected.balances().keys()]).toEqual(['acct-1', 'acct-2', 'acct-3']);
    // A capture finds its authorization only on its own account.
    expect(expected.balances().get('acct-2')?.[0]?.heldMinor).toBe(100n);
  });

  it('opens no currency for a transaction that moved nothing (a reversal of nothing)', () => {
    const balance = fold(on('REVERSAL', 'a', 1_000n, { currency: 'USD' }), tx('DEPOSIT', 100n));
    expect(balance('acct-1', 'USD')).toBeUndefined();
    expect(fold(on('REVERSAL', 'a', 1_000n))()).toBeUndefined();
  });

  it('refuses a story that changes currency, and a capture that names no authorization', () => {
    const expected = new ExpectedBalanceFold();
    expected.apply(auth('a', 1_000n));
    expect(() => expected.apply(on('CAPTURE', 'a', 1_000n, { currency: 'USD' }))).toThrow(ExpectedFoldError);
    expect(() => expected.apply(tx('CAPTURE', 1_000n))).toThrow(/names no authorization/);
    expect(() => expected.apply(tx('GIFT', 1_000n))).toThrow(/no balance rule/);
  });
});
