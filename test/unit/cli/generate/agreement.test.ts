import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExpectedBalanceFold, TrafficGenerator } from '../../../../cli/generate/index.ts';
import type { AccountBalances } from '../../../../topologies/balances/account-balances.ts';
import { ProductDriver, T0 } from '../../../support/product-driver.ts';

// The fold is written apart from the balances topology on purpose; this is where the two meet.
let product: ProductDriver;
beforeEach(async () => {
  product = await ProductDriver.create();
});
afterEach(async () => {
  await product.close();
});

describe('the expected balances of generated traffic', () => {
  it('are what the product topology computes from it', async () => {
    const traffic = new TrafficGenerator({ accounts: 60, seed: 21, startTime: T0, spacingMs: 1_000 });
    const fold = new ExpectedBalanceFold();
    let late = 0;
    for (let i = 0; i < 4_000; i++) {
      const { record, delivery } = traffic.next();
      if (delivery === 'late') late += 1;
      fold.apply(record);
      await product.send(record);
    }
    expect(late).toBeGreaterThan(0);
    expect(product.deadLetters()).toEqual([]);
    const store = product.driver.keyValueStore<string, AccountBalances>('balances');
    const expected = fold.balances();
    const computed = new Map(
      [...expected.keys()].map((accountId) => {
        const positions = store.get(accountId)?.positions ?? new Map();
        return [
          accountId,
          [...positions]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([currency, { ledgerMinor, heldMinor }]) => ({
              currency,
              ledgerMinor,
              heldMinor,
              availableMinor: ledgerMinor - heldMinor,
            })),
        ];
      }),
    );
    expect(computed).toEqual(expected);
    // Every account the topology knows is in the expected balances, and the other way round.
    expect(new Set(product.snapshots().map((snapshot) => snapshot.accountId))).toEqual(
      new Set(expected.keys()),
    );
  });
});
