import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fraudMetricsOn } from '../../../../topologies/fraud/fraud-metrics.ts';
import { topologyByName } from '../../../../topologies/index.ts';
import { DEFAULT_PRODUCT_SETTINGS, DEFAULT_PRODUCT_TOPICS } from '../../../../topologies/product.ts';
import { MINUTE, ProductDriver, T0 } from '../../../support/product-driver.ts';
import { cardPayment, deposit, times } from './fraud-scenarios.ts';

let product: ProductDriver | undefined;
afterEach(async () => {
  await product?.close();
  product = undefined;
});

async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const sample = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return sample?.value ?? 0;
}

describe('fraud metrics', () => {
  it('count late records and alerts by rule and severity on the app’s registry', async () => {
    const registry = new Registry();
    product = await ProductDriver.create({}, { fraudObserver: fraudMetricsOn(registry) });
    await product.send(...times(6, (i) => cardPayment(10_000n, T0 + i * 5_000)));
    await product.send(deposit(100n, T0 + 30 * MINUTE, 'acct-clock'), cardPayment(10_000n, T0 + MINUTE));
    expect(
      await valueOf(registry, 'saldo_fraud_alerts_total', { rule: 'velocity-burst', severity: 'HIGH' }),
    ).toBe(1);
    expect(await valueOf(registry, 'saldo_fraud_late_records_total')).toBe(1);
  });

  it('share one counter among the tasks and topologies of an app', () => {
    const registry = new Registry();
    fraudMetricsOn(registry).lateRecord();
    fraudMetricsOn(registry).lateRecord();
    expect(
      registry
        .getMetricsAsArray()
        .map((m) => m.name)
        .sort(),
    ).toEqual(['saldo_fraud_alerts_total', 'saldo_fraud_late_records_total']);
    // topologies/index.ts wires it for `saldo run` and stream threads.
    expect(() =>
      topologyByName(
        {
          name: 'product',
          topics: DEFAULT_PRODUCT_TOPICS,
          settings: DEFAULT_PRODUCT_SETTINGS,
          schemaRegistryUrl: 'http://127.0.0.1:1',
        },
        { metrics: registry },
      ),
    ).not.toThrow();
  });
});

describe('the fraud processor’s reads', () => {
  it('does not read an account’s profile for a transaction no rule looks back for', async () => {
    product = await ProductDriver.create();
    await product.send(deposit(1_000n, T0));
    // The profile lives in the account's record of the balances store, which the balances
    // processor reads once per transaction: a second read of it is the fraud processor's.
    const prototype = Object.getPrototypeOf(product.driver.keyValueStore<string, unknown>('balances')) as {
      get: (this: { name: string }, key: string) => unknown;
    };
    const original = prototype.get;
    const accountReads: string[] = [];
    vi.spyOn(prototype, 'get').mockImplementation(function (this: { name: string }, key: string) {
      if (this.name === 'balances') accountReads.push(key);
      return original.call(this, key);
    });
    await product.send(deposit(1_000n, T0 + MINUTE), deposit(2_000n, T0 + 2 * MINUTE, 'acct-2'));
    expect(accountReads).toEqual(['acct-1', 'acct-2']);
    accountReads.length = 0;
    await product.send(cardPayment(10_000n, T0 + 3 * MINUTE));
    expect(accountReads).toEqual(['acct-1', 'acct-1']);
  });
});
