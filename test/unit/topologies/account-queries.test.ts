import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { QueryResponse } from '../../../processor/index.ts';
import { stringSerde, type Serde } from '../../../state/index.ts';
import { accountBalancesSerde, type AccountBalances } from '../../../topologies/balances/account-balances.ts';
import { DEFAULT_PRODUCT_SETTINGS } from '../../../topologies/product.ts';
import {
  balanceQuery,
  productQueryRoutes,
  velocityQuery,
} from '../../../topologies/queries/account-queries.ts';
import { MINUTE, ProductDriver, T0, transaction } from '../../support/product-driver.ts';

let product: ProductDriver;
beforeEach(async () => {
  product = await ProductDriver.create();
});
afterEach(async () => {
  await product.close();
});

/** What the owner's read of the route's stores gives, here from the driver's task. */
function readValues(
  accountId: string,
  reads: ReturnType<typeof balanceQuery.reads>,
): Array<Buffer | undefined> {
  const serdes: Record<string, Serde<unknown>> = {
    balances: accountBalancesSerde as Serde<unknown>,
  };
  return reads.map((read) => {
    expect(Buffer.from(read.key)).toEqual(stringSerde.serialize(accountId));
    const value = product.driver.keyValueStore<string, AccountBalances>(read.store).get(accountId);
    return value === undefined ? undefined : (serdes[read.store] as Serde<unknown>).serialize(value);
  });
}

function ask(route: typeof balanceQuery, accountId: string, params = '', now = T0): QueryResponse {
  return route.respond(accountId, readValues(accountId, route.reads(accountId)), {
    params: new URLSearchParams(params),
    now,
  });
}

describe('GET /accounts/{id}/balance', () => {
  it('answers the account’s committed balances as its latest snapshot on the balances topic has them', async () => {
    await product.send(
      transaction({ type: 'DEPOSIT', amountMinor: 50_000n }),
      transaction({ transactionId: 'auth-1', type: 'AUTHORIZATION', amountMinor: 4_500n }),
      transaction({ type: 'DEPOSIT', amountMinor: 1_000n, currency: 'USD' }),
    );
    const answer = ask(balanceQuery, 'acct-1');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(product.lastSnapshot('acct-1'));
    expect(answer.body).toMatchObject({
      accountId: 'acct-1',
      balances: [
        { currency: 'MXN', ledgerMinor: 50_000n, heldMinor: 4_500n, availableMinor: 45_500n },
        { currency: 'USD', ledgerMinor: 1_000n, heldMinor: 0n, availableMinor: 1_000n },
      ],
    });
  });

  it('is 404 for an account it has never seen', () => {
    expect(ask(balanceQuery, 'acct-nobody')).toMatchObject({ status: 404, body: { error: 'not-found' } });
  });

  it('places the account as the input does: by its id in UTF-8', () => {
    expect(balanceQuery.partitionKey('acct-ñ')).toEqual(Buffer.from('acct-ñ', 'utf8'));
  });
});

describe('GET /accounts/{id}/velocity', () => {
  const velocity = velocityQuery('MXN');

  it('answers each window’s spends ending at ?at=, overall and per channel, sums with their currency', async () => {
    await product.send(
      transaction({ type: 'DEPOSIT', amountMinor: 90_000n }),
      transaction({ type: 'AUTHORIZATION', amountMinor: 1_000n, channel: 'POS', eventTime: T0 }),
      transaction({ type: 'AUTHORIZATION', amountMinor: 2_000n, channel: 'POS', eventTime: T0 + 30_000 }),
      transaction({
        type: 'AUTHORIZATION',
        amountMinor: 300n,
        currency: 'USD',
        channel: 'ECOMMERCE',
        eventTime: T0 + 35_000,
      }),
    );
    const early = ask(velocity, 'acct-1', `at=${T0 + 40_000}`);
    expect(early.status).toBe(200);
    expect(early.body).toMatchObject({
      accountId: 'acct-1',
      at: T0 + 40_000,
      currency: 'MXN',
      windows: {
        '1m': {
          count: 3,
          summedCount: 2,
          sumMinor: 3_000n,
          currency: 'MXN',
          byChannel: {
            POS: { count: 2, summedCount: 2, sumMinor: 3_000n, currency: 'MXN' },
            ECOMMERCE: { count: 1, summedCount: 0, sumMinor: 0n, currency: 'MXN' },
          },
        },
        '30d': { count: 3, sumMinor: 3_000n },
      },
    });
    // Windows end at the account's latest spends: a spend drops the buckets that no window ending
    // after stream time − grace can see.
    await product.send(
      transaction({ type: 'WITHDRAWAL', amountMinor: 5_000n, channel: 'ATM', eventTime: T0 + 10 * MINUTE }),
    );
    const later = ask(velocity, 'acct-1', `at=${T0 + 11 * MINUTE}`);
    expect(later.body).toMatchObject({
      windows: {
        '1m': { count: 1, sumMinor: 5_000n, byChannel: { ATM: { count: 1, sumMinor: 5_000n } } },
        '1h': { count: 4, sumMinor: 8_000n },
      },
    });
  });

  it('ends the windows at the owner’s clock without ?at=, and refuses an ?at= that is not ms since the epoch', async () => {
    await product.send(transaction({ type: 'AUTHORIZATION', amountMinor: 1_000n, eventTime: T0 }));
    expect(ask(velocity, 'acct-1', '', T0 + 30_000).body).toMatchObject({
      at: T0 + 30_000,
      windows: { '1m': { count: 1 } },
    });
    expect(ask(velocity, 'acct-1', '', T0 + 2 * MINUTE).body).toMatchObject({
      windows: { '1m': { count: 0 }, '1h': { count: 1 } },
    });
    for (const bad of ['yesterday', '-5', '1.5', '']) {
      expect(ask(velocity, 'acct-1', `at=${bad}`)).toMatchObject({
        status: 400,
        body: { error: 'bad-request' },
      });
    }
  });

  it('answers empty windows for an account with balances but no spends, 404 for an unknown one', async () => {
    await product.send(transaction({ accountId: 'acct-2', type: 'DEPOSIT', amountMinor: 1_000n }));
    expect(ask(velocity, 'acct-2')).toMatchObject({
      status: 200,
      body: { windows: { '24h': { count: 0, sumMinor: 0n, byChannel: {} } } },
    });
    expect(ask(velocity, 'acct-nobody')).toMatchObject({ status: 404, body: { error: 'not-found' } });
  });

  it('is among the product’s routes only while fraud is on, in the rule set’s currency', () => {
    expect(productQueryRoutes(DEFAULT_PRODUCT_SETTINGS).map((r) => r.path)).toEqual([
      '/accounts/{key}/balance',
      '/accounts/{key}/velocity',
    ]);
    expect(productQueryRoutes({ ...DEFAULT_PRODUCT_SETTINGS, fraud: null }).map((r) => r.path)).toEqual([
      '/accounts/{key}/balance',
    ]);
  });
});
