import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  accountBalancesSerde,
  emptyAccountBalances,
  hasSnapshot,
  type AccountBalances,
} from '../../../topologies/balances/account-balances.ts';
import { EMPTY_PROFILE, fraudProfileSerde } from '../../../topologies/fraud/fraud-profile.ts';
import { balanceQuery, velocityQuery } from '../../../topologies/queries/account-queries.ts';
import { StoreValueWriter } from '../../../topologies/store-format.ts';
import { DAY, MINUTE, ProductDriver, T0, transaction } from '../../support/product-driver.ts';

// One record per account in the balances store: the balances and the fraud profile beside them,
// read and written once per transaction for both halves of the product.

function account(fields: Partial<AccountBalances> = {}): AccountBalances {
  return {
    ...emptyAccountBalances(),
    version: 4,
    lastTransactionId: 'tx-9',
    eventTime: T0,
    processingTime: T0 + 5,
    positions: new Map([['MXN', { ledgerMinor: 12_345n, heldMinor: 2_000n }]]),
    ...fields,
  };
}

describe('the account record’s format', () => {
  it('reads format 1, which stores and changelogs written before the fraud profile moved in hold', () => {
    const v1 = new StoreValueWriter()
      .uint8(1)
      .number(4)
      .uint8(0)
      .number(T0)
      .number(T0 + 5)
      .text('tx-9')
      .uint8(1)
      .code3('MXN')
      .int64(12_345n)
      .int64(2_000n)
      .toBuffer();
    expect(accountBalancesSerde.deserialize(v1)).toEqual(account());
    // An account without a profile (and the balances-only product) is still written in format 1.
    expect(accountBalancesSerde.serialize(account())).toEqual(v1);
  });

  it('keeps the fraud profile’s bytes after the balances (format 2), whole', () => {
    const profile = fraudProfileSerde.serialize(EMPTY_PROFILE);
    const bytes = accountBalancesSerde.serialize(account({ fraudProfileBytes: profile }));
    expect(bytes[0]).toBe(2);
    const read = accountBalancesSerde.deserialize(bytes);
    expect(read).toEqual(account({ fraudProfileBytes: profile }));
    expect(fraudProfileSerde.deserialize(read.fraudProfileBytes as Buffer)).toEqual(EMPTY_PROFILE);
  });

  it('refuses a format it does not know', () => {
    const bytes = accountBalancesSerde.serialize(account());
    bytes[0] = 3;
    expect(() => accountBalancesSerde.deserialize(bytes)).toThrow(/unknown format 3 \(expected 1 or 2\)/);
  });
});

describe('the fraud profile in the account’s record', () => {
  let product: ProductDriver;
  beforeEach(async () => {
    product = await ProductDriver.create();
  });
  afterEach(async () => {
    await product.close();
  });

  const record = () => product.driver.keyValueStore<string, AccountBalances>('balances').get('acct-1');
  const spendsIn30Days = (at: number): number => {
    const bytes = record()?.fraudProfileBytes ?? null;
    if (bytes === null) return 0;
    return fraudProfileSerde.deserialize(bytes).velocity.window('30d', at).overall.count;
  };

  it('is written by the spends and carried through every change of the balances, hold expiry too', async () => {
    await product.send(transaction({ type: 'DEPOSIT', amountMinor: 90_000n, eventTime: T0 }));
    expect(record()?.fraudProfileBytes ?? null).toBeNull();
    await product.send(
      transaction({
        transactionId: 'a1',
        type: 'AUTHORIZATION',
        amountMinor: 8_000n,
        eventTime: T0 + MINUTE,
      }),
      transaction({ type: 'WITHDRAWAL', amountMinor: 1_000n, channel: 'ATM', eventTime: T0 + 2 * MINUTE }),
    );
    expect(spendsIn30Days(T0 + 3 * MINUTE)).toBe(2);
    // A deposit changes the balances alone; the hold's expiry is the balances processor's sweep.
    await product.send(transaction({ type: 'DEPOSIT', amountMinor: 100n, eventTime: T0 + DAY }));
    await product.send(transaction({ accountId: 'acct-2', eventTime: T0 + 7 * DAY + 2 * MINUTE }));
    expect(product.lastSnapshot()).toMatchObject({ cause: 'HOLD_EXPIRY' });
    expect(product.balance()).toEqual([89_100n, 0n, 89_100n]);
    expect(spendsIn30Days(T0 + 7 * DAY + 3 * MINUTE)).toBe(2);
    // The record's version is the last snapshot's: the fraud processor's writes do not move it.
    expect(BigInt(record()?.version ?? -1)).toBe(product.lastSnapshot()?.version);
  });

  it('a record with only a profile has no balance to serve, but its velocity is there', () => {
    const profileOnly = accountBalancesSerde.serialize({
      ...emptyAccountBalances(),
      fraudProfileBytes: fraudProfileSerde.serialize(EMPTY_PROFILE),
    });
    expect(hasSnapshot(accountBalancesSerde.deserialize(profileOnly))).toBe(false);
    const context = { params: new URLSearchParams(), now: T0 };
    expect(balanceQuery.respond('acct-x', [profileOnly], context)).toMatchObject({ status: 404 });
    expect(velocityQuery('MXN').respond('acct-x', [profileOnly], context)).toMatchObject({
      status: 200,
      body: { windows: { '24h': { count: 0 } } },
    });
  });
});
