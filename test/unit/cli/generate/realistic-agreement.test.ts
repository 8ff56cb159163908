import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExpectedBalanceFold, RULE_IDS, TrafficGenerator } from '../../../../cli/generate/index.ts';
import type { AccountBalances } from '../../../../topologies/balances/account-balances.ts';
import { ProductDriver, T0 } from '../../../support/product-driver.ts';

// Realistic traffic spans months of event time (its history): the fold must still be exact.
let product: ProductDriver;
beforeEach(async () => {
  product = await ProductDriver.create();
});
afterEach(async () => {
  await product.close();
});

describe('the expected balances of realistic traffic, with history and fraud', () => {
  it('are what the product topology computes from it', async () => {
    const spanMs = 2 * 86_400_000;
    const traffic = new TrafficGenerator({
      accounts: 40,
      seed: 8,
      startTime: T0 - spanMs,
      spacingMs: 1,
      realistic: { spanMs, records: 1_500, historyDays: 120, fraudRate: 0.05, patterns: RULE_IDS },
    });
    const fold = new ExpectedBalanceFold();
    let live = 0;
    while (live < 1_500) {
      const { record, delivery } = traffic.next();
      if (delivery !== 'history') live += 1;
      fold.apply(record);
      await product.send(record);
    }
    expect(traffic.injected().length).toBeGreaterThan(0);
    expect(product.deadLetters()).toEqual([]);
    const store = product.driver.keyValueStore<string, AccountBalances>('balances');
    const expected = fold.balances();
    for (const [accountId, currencies] of expected) {
      const positions = store.get(accountId)?.positions ?? new Map();
      const computed = [...positions]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([currency, { ledgerMinor, heldMinor }]) => ({
          currency,
          ledgerMinor,
          heldMinor,
          availableMinor: ledgerMinor - heldMinor,
        }));
      expect(computed, accountId).toEqual(currencies);
    }
  });
});
