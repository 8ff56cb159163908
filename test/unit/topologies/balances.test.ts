import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE, ProductDriver, T0, transaction } from '../../support/product-driver.ts';

let product: ProductDriver;
beforeEach(async () => {
  product = await ProductDriver.create();
});
afterEach(async () => {
  await product.close();
});

const auth = (id: string, amountMinor: bigint, eventTime = T0) =>
  transaction({ transactionId: id, type: 'AUTHORIZATION', amountMinor, eventTime });
const onAuth = (
  type: 'CAPTURE' | 'REVERSAL' | 'INCREMENTAL_AUTHORIZATION',
  id: string,
  authorizationId: string,
  amountMinor: bigint,
  eventTime = T0 + MINUTE,
) => transaction({ transactionId: id, type, authorizationId, amountMinor, eventTime });

describe('balances: posted money', () => {
  it('credits deposits, refunds, incoming transfers and chargebacks to ledger and available', async () => {
    await product.send(
      transaction({ type: 'DEPOSIT', amountMinor: 50_000n }),
      transaction({ type: 'REFUND', amountMinor: 1_250n }),
      transaction({ type: 'TRANSFER_IN', amountMinor: 20_000n }),
      transaction({ type: 'CHARGEBACK', amountMinor: 3_000n }),
    );
    expect(product.balance()).toEqual([74_250n, 0n, 74_250n]);
  });

  it('debits withdrawals, outgoing transfers and fees, and lets the ledger go below zero', async () => {
    await product.send(
      transaction({ type: 'DEPOSIT', amountMinor: 10_000n }),
      transaction({ type: 'WITHDRAWAL', amountMinor: 8_000n, channel: 'ATM' }),
      transaction({ type: 'TRANSFER_OUT', amountMinor: 1_500n, channel: 'TRANSFER' }),
      transaction({ type: 'FEE', amountMinor: 700n, channel: 'APP' }),
    );
    expect(product.balance()).toEqual([-200n, 0n, -200n]);
  });

  it('keeps one balance per currency, never summed, each in the snapshot in code order', async () => {
    await product.send(
      transaction({ type: 'DEPOSIT', amountMinor: 10_000n, currency: 'USD' }),
      transaction({ type: 'DEPOSIT', amountMinor: 99_900n, currency: 'MXN' }),
      { ...auth('a-usd', 2_500n), currency: 'USD' },
    );
    expect(product.balance('acct-1', 'USD')).toEqual([10_000n, 2_500n, 7_500n]);
    expect(product.balance('acct-1', 'MXN')).toEqual([99_900n, 0n, 99_900n]);
    expect(product.lastSnapshot()?.balances).toEqual([
      { currency: 'MXN', ledgerMinor: 99_900n, heldMinor: 0n, availableMinor: 99_900n },
      { currency: 'USD', ledgerMinor: 10_000n, heldMinor: 2_500n, availableMinor: 7_500n },
    ]);
  });
});

describe('balances: holds', () => {
  it('an authorization holds its amount: available falls, ledger does not', async () => {
    await product.send(transaction({ type: 'DEPOSIT', amountMinor: 100_000n }), auth('a1', 4_500n));
    expect(product.balance()).toEqual([100_000n, 4_500n, 95_500n]);
  });

  it('an incremental authorization grows its hold', async () => {
    await product.send(auth('a1', 30_000n), onAuth('INCREMENTAL_AUTHORIZATION', 'i1', 'a1', 12_000n));
    expect(product.balance()).toEqual([0n, 42_000n, -42_000n]);
  });

  it('a capture smaller than its hold posts its amount and releases the rest', async () => {
    await product.send(auth('a1', 10_000n), onAuth('CAPTURE', 'c1', 'a1', 7_000n));
    expect(product.balance()).toEqual([-7_000n, 0n, -7_000n]);
  });

  it('a capture larger than its hold (a tip) posts its amount and releases the hold', async () => {
    await product.send(auth('a1', 4_500n), onAuth('CAPTURE', 'c1', 'a1', 5_500n));
    expect(product.balance()).toEqual([-5_500n, 0n, -5_500n]);
  });

  it('a capture with no known authorization is a force post; the late authorization then holds nothing', async () => {
    await product.send(onAuth('CAPTURE', 'c1', 'a1', 3_000n));
    expect(product.balance()).toEqual([-3_000n, 0n, -3_000n]);
    await product.send(auth('a1', 3_000n));
    expect(product.balance()).toEqual([-3_000n, 0n, -3_000n]);
  });

  it('reversals release up to their amount, add up, and never release more than is held', async () => {
    await product.send(auth('a1', 10_000n), onAuth('REVERSAL', 'r1', 'a1', 4_000n));
    expect(product.balance()).toEqual([0n, 6_000n, -6_000n]);
    await product.send(onAuth('REVERSAL', 'r2', 'a1', 9_000n));
    expect(product.balance()).toEqual([0n, 0n, 0n]);
  });

  it('a reversal before its authorization is remembered: the late authorization holds what is left', async () => {
    await product.send(onAuth('REVERSAL', 'r1', 'a1', 2_000n), auth('a1', 5_000n));
    expect(product.balance()).toEqual([0n, 3_000n, -3_000n]);
  });

  it('a capture closes the hold: a later reversal of it changes nothing', async () => {
    await product.send(auth('a1', 5_000n), onAuth('CAPTURE', 'c1', 'a1', 5_000n));
    const versions = product.snapshots().length;
    await product.send(onAuth('REVERSAL', 'r1', 'a1', 5_000n));
    expect(product.balance()).toEqual([-5_000n, 0n, -5_000n]);
    expect(product.snapshots()).toHaveLength(versions);
  });

  it('gives the same balance whatever order an authorization and its capture and reversal arrive in', async () => {
    const events = [
      auth('a1', 10_000n),
      onAuth('REVERSAL', 'r1', 'a1', 3_000n),
      onAuth('CAPTURE', 'c1', 'a1', 6_500n),
    ];
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    const results: Array<[bigint, bigint, bigint]> = [];
    for (const order of orders) {
      const fresh = await ProductDriver.create();
      await fresh.send(...order.map((index) => events[index] as (typeof events)[number]));
      results.push(fresh.balance());
      await fresh.close();
    }
    for (const result of results) expect(result).toEqual([-6_500n, 0n, -6_500n]);
  });
});

describe('balances: hold expiry on event time', () => {
  it('releases a hold once stream time passes its expiry (7 days by default), with a HOLD_EXPIRY snapshot', async () => {
    await product.send(auth('a1', 8_000n, T0));
    await product.send(transaction({ type: 'DEPOSIT', amountMinor: 100n, eventTime: T0 + 7 * DAY - MINUTE }));
    expect(product.balance()).toEqual([100n, 8_000n, -7_900n]);
    // Another account's transaction moves the partition's stream time past the expiry.
    await product.send(transaction({ accountId: 'acct-2', eventTime: T0 + 7 * DAY + 2 * MINUTE }));
    expect(product.balance()).toEqual([100n, 0n, 100n]);
    const expiry = product.lastSnapshot();
    expect(expiry).toMatchObject({ cause: 'HOLD_EXPIRY', version: 3n });
    expect(expiry?.eventTime).toBeGreaterThanOrEqual(T0 + 7 * DAY);
  });

  it('a capture after the expiry still posts, and the expired hold is not released twice', async () => {
    await product.send(auth('a1', 8_000n, T0));
    await product.send(transaction({ accountId: 'acct-2', eventTime: T0 + 8 * DAY }));
    expect(product.balance()).toEqual([0n, 0n, 0n]);
    await product.send(onAuth('CAPTURE', 'c1', 'a1', 8_000n, T0 + 8 * DAY));
    expect(product.balance()).toEqual([-8_000n, 0n, -8_000n]);
  });

  it('releases an expired hold a capture meets before any sweep has', async () => {
    await product.send(auth('a1', 8_000n, T0));
    // The capture itself moves stream time past the expiry; no sweep has run at that instant.
    await product.send(onAuth('CAPTURE', 'c1', 'a1', 6_000n, T0 + 7 * DAY + 10));
    expect(product.balance()).toEqual([-6_000n, 0n, -6_000n]);
    await product.send(transaction({ accountId: 'acct-2', eventTime: T0 + 9 * DAY }));
    expect(product.balance()).toEqual([-6_000n, 0n, -6_000n]);
  });

  it('an incremental authorization on an expired or captured hold holds its own amount', async () => {
    await product.send(auth('a1', 5_000n, T0), onAuth('CAPTURE', 'c1', 'a1', 5_000n));
    await product.send(onAuth('INCREMENTAL_AUTHORIZATION', 'i1', 'a1', 1_000n));
    expect(product.balance()).toEqual([-5_000n, 1_000n, -6_000n]);
    await product.send(auth('a2', 2_000n, T0 + HOUR));
    await product.send(transaction({ accountId: 'acct-2', eventTime: T0 + 7 * DAY + 2 * HOUR }));
    expect(product.balance()).toEqual([-5_000n, 0n, -5_000n]);
    await product.send(onAuth('INCREMENTAL_AUTHORIZATION', 'i2', 'a2', 700n, T0 + 7 * DAY + 3 * HOUR));
    expect(product.balance()).toEqual([-5_000n, 700n, -5_700n]);
  });

  it('does not expire holds on the wall clock', async () => {
    await product.send(auth('a1', 8_000n, T0));
    await product.driver.advanceWallClock(30 * DAY);
    expect(product.balance()).toEqual([0n, 8_000n, -8_000n]);
  });

  it('an authorization already past its expiry when it arrives holds nothing', async () => {
    await product.send(transaction({ accountId: 'acct-2', eventTime: T0 + 10 * DAY }));
    await product.send(auth('a1', 8_000n, T0));
    expect(product.balance()).toEqual([0n, 0n, 0n]);
  });
});

describe('balances: idempotency and snapshots', () => {
  it('a duplicate transaction id changes nothing and emits nothing', async () => {
    const deposit = transaction({ type: 'DEPOSIT', amountMinor: 7_000n });
    const hold = auth('a1', 1_000n);
    await product.send(deposit, hold, deposit, hold, { ...deposit, amountMinor: 99n });
    expect(product.balance()).toEqual([7_000n, 1_000n, 6_000n]);
    expect(product.snapshots()).toHaveLength(2);
  });

  it('forgets ids after the dedup retention, in stream time, so the store stays bounded', async () => {
    const shortRetention = await ProductDriver.create({ dedupRetentionMs: DAY });
    try {
      const deposit = transaction({ type: 'DEPOSIT', amountMinor: 100n, eventTime: T0 });
      await shortRetention.send(deposit);
      const ids = shortRetention.driver.ttlKeyValueStore<string, string>('transaction-ids');
      expect(ids.get(deposit.transactionId)).toBe('DEPOSIT');
      await shortRetention.send(transaction({ accountId: 'acct-2', eventTime: T0 + 2 * DAY }));
      expect(ids.peek(deposit.transactionId)).toBeUndefined(); // purged, not only invisible
    } finally {
      await shortRetention.close();
    }
  });

  it('versions each account’s snapshots 1, 2, 3… with the last transaction, its event time and the processing time', async () => {
    await product.send(
      transaction({ transactionId: 'd1', amountMinor: 100n, eventTime: T0 + 5 }),
      transaction({ transactionId: 'x1', accountId: 'acct-2', amountMinor: 1n }),
      transaction({ transactionId: 'd2', amountMinor: 200n, eventTime: T0 + 9 }),
    );
    expect(product.snapshots('acct-1')).toEqual([
      {
        accountId: 'acct-1',
        version: 1n,
        cause: 'TRANSACTION',
        lastTransactionId: 'd1',
        eventTime: T0 + 5,
        processingTime: T0 + 5,
        balances: [{ currency: 'MXN', ledgerMinor: 100n, heldMinor: 0n, availableMinor: 100n }],
      },
      {
        accountId: 'acct-1',
        version: 2n,
        cause: 'TRANSACTION',
        lastTransactionId: 'd2',
        eventTime: T0 + 9,
        processingTime: T0 + 9,
        balances: [{ currency: 'MXN', ledgerMinor: 300n, heldMinor: 0n, availableMinor: 300n }],
      },
    ]);
    expect(product.snapshots('acct-2').map((snapshot) => snapshot.version)).toEqual([1n]);
  });
});
