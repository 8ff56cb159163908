import { afterEach, describe, expect, it } from 'vitest';
import type { LimitUpdate } from '../../../../topologies/fraud/limits.ts';
import { DAY, HOUR, MINUTE, ProductDriver, T0, transaction } from '../../../support/product-driver.ts';
import {
  CASINO,
  CDMX,
  GUADALAJARA,
  MONTERREY,
  SHOP_ONLINE,
  atmWithdrawal,
  cardPayment,
  deposit,
  onlinePayment,
  times,
  transferOut,
} from './fraud-scenarios.ts';

const SECOND = 1_000;
let product: ProductDriver | undefined;

async function driver(): Promise<ProductDriver> {
  product = await ProductDriver.create();
  return product;
}

afterEach(async () => {
  await product?.close();
  product = undefined;
});

/** Moves the partition's stream time with another account's deposit. */
const tick = (eventTime: number) => deposit(100n, eventTime, 'acct-clock');

describe('velocity-burst', () => {
  it('fires on the 6th spend within a minute, with the counts and the spends involved', async () => {
    const p = await driver();
    const burst = times(6, (i) => cardPayment(10_000n, T0 + i * 5 * SECOND));
    await p.send(deposit(1_000_000n, T0 - HOUR), ...burst);
    const [alert, ...rest] = p.alerts('velocity-burst');
    expect(rest).toEqual([]);
    expect(alert?.transactionId).toBe(burst[5]?.transactionId);
    expect(alert?.transactionIds).toEqual(burst.map((t) => t.transactionId));
    expect(alert?.evidence).toContainEqual({
      measure: 'spend-count',
      value: 6n,
      threshold: 5n,
      unit: 'count',
      window: '1m',
    });
    expect(alert?.severity).toBe('HIGH');
    expect(alert?.ruleVersion).toBe(1);
  });

  it('does not fire on five spends in a minute, nor on six spread over two minutes', async () => {
    const p = await driver();
    await p.send(...times(5, (i) => cardPayment(10_000n, T0 + i * 10 * SECOND)));
    await p.send(...times(6, (i) => cardPayment(10_000n, T0 + 10 * MINUTE + i * 24 * SECOND)));
    expect(p.alerts('velocity-burst')).toEqual([]);
  });

  it('alerts once per cooldown (30 min), and again after it', async () => {
    const p = await driver();
    await p.send(...times(12, (i) => cardPayment(10_000n, T0 + i * 4 * SECOND)));
    expect(p.alerts('velocity-burst')).toHaveLength(1);
    await p.send(...times(6, (i) => cardPayment(10_000n, T0 + 20 * MINUTE + i * 4 * SECOND)));
    expect(p.alerts('velocity-burst')).toHaveLength(1);
    await p.send(...times(6, (i) => cardPayment(10_000n, T0 + 31 * MINUTE + i * 4 * SECOND)));
    expect(p.alerts('velocity-burst')).toHaveLength(2);
  });

  it('counts a late burst within the grace (5 min) in the windows it belongs to', async () => {
    const p = await driver();
    await p.send(tick(T0 + 4 * MINUTE));
    await p.send(...times(6, (i) => cardPayment(10_000n, T0 + i * 5 * SECOND)));
    expect(p.alerts('velocity-burst')).toHaveLength(1);
    expect(p.alerts('velocity-burst')[0]?.eventTime).toBe(T0 + 25 * SECOND);
  });

  it('leaves a burst later than the grace out of the windows, and still moves the balance', async () => {
    const p = await driver();
    await p.send(tick(T0 + 20 * MINUTE));
    await p.send(...times(6, (i) => cardPayment(10_000n, T0 + i * 5 * SECOND)));
    expect(p.alerts()).toEqual([]);
    expect(p.balance()).toEqual([0n, 60_000n, -60_000n]);
  });
});

describe('card-testing', () => {
  it('fires on the 5th small authorization within an hour, most at one merchant', async () => {
    const p = await driver();
    const probes = times(5, (i) => onlinePayment(BigInt(100 + i * 300), T0 + i * 2 * MINUTE));
    await p.send(...probes);
    const [alert] = p.alerts('card-testing');
    expect(alert?.transactionIds).toEqual(probes.map((t) => t.transactionId));
    expect(alert?.evidence).toContainEqual({
      measure: 'share-at-one-merchant',
      value: 100n,
      threshold: 50n,
      unit: 'percent',
      window: '1h',
    });
  });

  it('does not fire on four small ones, nor on five ordinary purchases', async () => {
    const p = await driver();
    await p.send(...times(4, (i) => onlinePayment(500n, T0 + i * 2 * MINUTE)));
    await p.send(...times(5, (i) => onlinePayment(5_000n, T0 + 2 * HOUR + i * 2 * MINUTE)));
    expect(p.alerts('card-testing')).toEqual([]);
  });

  it('does not count small authorizations of more than an hour ago', async () => {
    const p = await driver();
    await p.send(...times(5, (i) => onlinePayment(500n, T0 + i * 20 * MINUTE)));
    expect(p.alerts('card-testing')).toEqual([]);
  });
});

describe('amount-anomaly', () => {
  const history = () => times(6, (i) => cardPayment(20_000n, T0 + i * 3 * DAY));

  it('fires on a spend five times the 30-day average and at least 3,000 MXN', async () => {
    const p = await driver();
    const big = cardPayment(500_000n, T0 + 20 * DAY);
    await p.send(...history(), big);
    const [alert] = p.alerts('amount-anomaly');
    expect(alert?.transactionId).toBe(big.transactionId);
    expect(alert?.evidence).toContainEqual({
      measure: 'average-spend',
      value: 20_000n,
      threshold: 20_000n,
      unit: 'MXN',
      window: '30d',
    });
    expect(alert?.evidence).toContainEqual({
      measure: 'amount',
      value: 500_000n,
      threshold: 100_000n,
      unit: 'MXN',
      window: null,
    });
  });

  it('does not fire under the minimum amount, under the multiple, or without history', async () => {
    const p = await driver();
    await p.send(...history(), cardPayment(90_000n, T0 + 20 * DAY), cardPayment(250_000n, T0 + 21 * DAY));
    expect(p.alerts('amount-anomaly')).toEqual([]);
    await p.send(...times(3, (i) => cardPayment(20_000n, T0 + i * DAY, { accountId: 'acct-2' })));
    await p.send(cardPayment(900_000n, T0 + 22 * DAY, { accountId: 'acct-2' }));
    expect(p.alerts('amount-anomaly')).toEqual([]);
  });

  it('forgets spends older than 30 days', async () => {
    const p = await driver();
    await p.send(...history(), cardPayment(500_000n, T0 + 60 * DAY));
    expect(p.alerts('amount-anomaly')).toEqual([]);
  });
});

describe('atm-cash-out', () => {
  it('fires on the 3rd withdrawal within an hour in two cities', async () => {
    const p = await driver();
    const cashOut = [
      atmWithdrawal(300_000n, T0, 'atm-1', CDMX),
      atmWithdrawal(300_000n, T0 + 20 * MINUTE, 'atm-2', CDMX),
      atmWithdrawal(300_000n, T0 + 50 * MINUTE, 'atm-3', GUADALAJARA),
    ];
    await p.send(deposit(2_000_000n, T0 - HOUR), ...cashOut);
    const [alert] = p.alerts('atm-cash-out');
    expect(alert?.transactionIds).toEqual(cashOut.map((t) => t.transactionId));
    expect(alert?.evidence).toContainEqual({
      measure: 'distinct-cities',
      value: 2n,
      threshold: 2n,
      unit: 'count',
      window: '1h',
    });
  });

  it('does not fire on two withdrawals, nor on three at one ATM', async () => {
    const p = await driver();
    await p.send(
      atmWithdrawal(100_000n, T0, 'atm-1', CDMX),
      atmWithdrawal(100_000n, T0 + 10 * MINUTE, 'atm-2', GUADALAJARA),
    );
    await p.send(...times(3, (i) => atmWithdrawal(100_000n, T0 + 3 * HOUR + i * 10 * MINUTE, 'atm-1', CDMX)));
    expect(p.alerts('atm-cash-out')).toEqual([]);
  });
});

describe('impossible-travel', () => {
  it('fires on card-present payments 700 km apart within 30 minutes, with distance and speed only', async () => {
    const p = await driver();
    const here = cardPayment(30_000n, T0, { location: CDMX });
    const there = cardPayment(30_000n, T0 + 30 * MINUTE, { location: MONTERREY });
    await p.send(here, there);
    const [alert] = p.alerts('impossible-travel');
    expect(alert?.transactionIds).toEqual([here.transactionId, there.transactionId]);
    const distance = alert?.evidence.find((e) => e.measure === 'distance');
    expect(Number(distance?.value)).toBeGreaterThan(690);
    expect(Number(distance?.value)).toBeLessThan(720);
    expect(JSON.stringify(alert, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(
      /Monterrey|México|card-token/,
    );
  });

  it('does not fire on a flight (3 hours), nor on an online purchase', async () => {
    const p = await driver();
    await p.send(
      cardPayment(30_000n, T0, { location: CDMX }),
      cardPayment(30_000n, T0 + 3 * HOUR, { location: MONTERREY }),
    );
    await p.send(onlinePayment(30_000n, T0 + 3 * HOUR + 5 * MINUTE));
    await p.send(cardPayment(30_000n, T0 + 4 * HOUR, { location: MONTERREY }));
    expect(p.alerts('impossible-travel')).toEqual([]);
  });
});

describe('high-risk-mcc', () => {
  it('fires on the first payment to a gambling merchant only', async () => {
    const p = await driver();
    const first = onlinePayment(50_000n, T0, CASINO);
    await p.send(first, onlinePayment(50_000n, T0 + 2 * DAY, CASINO));
    expect(p.alerts('high-risk-mcc').map((a) => a.transactionId)).toEqual([first.transactionId]);
  });

  it('does not fire on ordinary categories', async () => {
    const p = await driver();
    await p.send(onlinePayment(50_000n, T0, SHOP_ONLINE), cardPayment(50_000n, T0 + HOUR));
    expect(p.alerts('high-risk-mcc')).toEqual([]);
  });
});

describe('rapid-drain', () => {
  it('fires when 90% of a large deposit leaves within 24 hours', async () => {
    const p = await driver();
    const inflow = deposit(1_000_000n, T0);
    const out1 = transferOut(500_000n, T0 + HOUR);
    const out2 = transferOut(420_000n, T0 + 2 * HOUR);
    await p.send(inflow, out1, out2);
    const [alert] = p.alerts('rapid-drain');
    expect(alert?.transactionIds).toEqual([inflow.transactionId, out1.transactionId, out2.transactionId]);
    expect(alert?.evidence[0]).toEqual({
      measure: 'outflow-since-inflow',
      value: 920_000n,
      threshold: 900_000n,
      unit: 'MXN',
      window: null,
    });
  });

  it('does not fire on spending 80%, nor on draining after more than 24 hours', async () => {
    const p = await driver();
    await p.send(deposit(1_000_000n, T0), transferOut(800_000n, T0 + HOUR));
    await p.send(
      deposit(1_000_000n, T0 + 2 * DAY, 'acct-2'),
      transferOut(990_000n, T0 + 3 * DAY + HOUR, 'acct-2'),
    );
    expect(p.alerts('rapid-drain')).toEqual([]);
  });
});

describe('dormant-reactivation', () => {
  it('fires on a spend after 100 days without one, not after 60', async () => {
    const p = await driver();
    const wake = transferOut(10_000n, T0 + 100 * DAY);
    await p.send(transferOut(10_000n, T0), transferOut(10_000n, T0, 'acct-2'));
    await p.send(transferOut(10_000n, T0 + 60 * DAY, 'acct-2'), wake);
    expect(p.alerts('dormant-reactivation').map((a) => a.transactionId)).toEqual([wake.transactionId]);
    expect(p.alerts('dormant-reactivation')[0]?.evidence[0]).toMatchObject({
      value: 100n,
      threshold: 90n,
      unit: 'days',
    });
  });

  it('is not woken by deposits, and a new account is not dormant', async () => {
    const p = await driver();
    await p.send(transferOut(10_000n, T0), deposit(500_000n, T0 + 95 * DAY));
    expect(p.alerts('dormant-reactivation')).toEqual([]);
    await p.send(transferOut(10_000n, T0 + 96 * DAY, 'acct-new'));
    expect(p.alerts('dormant-reactivation')).toEqual([]);
  });
});

describe('overdraft', () => {
  it('fires when a capture above its hold takes available below zero', async () => {
    const p = await driver();
    const auth = cardPayment(90_000n, T0);
    const capture = transaction({
      type: 'CAPTURE',
      authorizationId: auth.transactionId,
      amountMinor: 120_000n,
      eventTime: T0 + HOUR,
    });
    await p.send(deposit(100_000n, T0 - HOUR), auth, capture);
    const [alert] = p.alerts('overdraft');
    expect(alert?.transactionId).toBe(capture.transactionId);
    expect(alert?.evidence).toEqual([
      { measure: 'available', value: -20_000n, threshold: 0n, unit: 'MXN', window: null },
    ]);
  });

  it('fires on a fee on an empty account, not on a capture within the balance', async () => {
    const p = await driver();
    const auth = cardPayment(50_000n, T0);
    await p.send(deposit(100_000n, T0 - HOUR), auth);
    await p.send(
      transaction({
        type: 'CAPTURE',
        authorizationId: auth.transactionId,
        amountMinor: 50_000n,
        eventTime: T0 + HOUR,
      }),
    );
    expect(p.alerts('overdraft')).toEqual([]);
    await p.send(
      transaction({
        type: 'FEE',
        channel: 'APP',
        amountMinor: 3_000n,
        eventTime: T0 + 2 * HOUR,
        accountId: 'acct-2',
      }),
    );
    expect(p.alerts('overdraft').map((a) => a.accountId)).toEqual(['acct-2']);
  });
});

describe('limit-breach (tier defaults: N2)', () => {
  // Mexico City is UTC−6: its day starts at 06:00 UTC.
  const local = (day: number, hour: number, minute = 0) => Date.UTC(2026, 11, day, hour + 6, minute);

  it('fires on a transfer over the daily transfer limit (12,800 MXN), with the limit and the local day', async () => {
    const p = await driver();
    await p.send(
      deposit(5_000_000n, local(1, 8)),
      transferOut(700_000n, local(1, 9)),
      transferOut(600_000n, local(1, 17)),
    );
    const [alert] = p.alerts('limit-breach');
    expect(alert?.evidence).toEqual([
      {
        measure: 'daily-transfers',
        value: 1_300_000n,
        threshold: 1_280_000n,
        unit: 'MXN',
        window: '2026-12-01',
      },
    ]);
  });

  it('counts calendar days of Mexico City, not of UTC', async () => {
    const p = await driver();
    // One UTC day (Dec 3), two local days: no breach.
    await p.send(
      deposit(5_000_000n, local(2, 20)),
      transferOut(700_000n, local(2, 23, 30)),
      transferOut(700_000n, local(3, 0, 30)),
    );
    expect(p.alerts('limit-breach')).toEqual([]);
    // Two UTC days (Dec 4 23:00, Dec 5 01:00), one local day (Dec 4): a breach.
    await p.send(transferOut(700_000n, local(4, 17)), transferOut(700_000n, local(4, 19)));
    expect(p.alerts('limit-breach')[0]?.evidence[0]?.window).toBe('2026-12-04');
  });

  it('fires on one spend over the per-transaction limit, and on daily ATM withdrawals over theirs', async () => {
    const p = await driver();
    await p.send(deposit(10_000_000n, T0 - HOUR), cardPayment(1_600_000n, T0));
    expect(p.alerts('limit-breach')[0]?.evidence[0]).toMatchObject({
      measure: 'amount',
      threshold: 1_500_000n,
    });
    await p.send(
      deposit(10_000_000n, T0 - HOUR, 'acct-2'),
      ...times(2, (i) =>
        transaction({ ...atmWithdrawal(500_000n, T0 + i * 3 * HOUR, `atm-${i}`, CDMX), accountId: 'acct-2' }),
      ),
    );
    const atm = p.alerts('limit-breach').find((a) => a.accountId === 'acct-2');
    expect(atm?.evidence).toContainEqual(
      expect.objectContaining({ measure: 'daily-atm', value: 1_000_000n, threshold: 900_000n }),
    );
  });
});

describe('limits from account-limits', () => {
  const limits = (fields: Partial<LimitUpdate>): LimitUpdate => ({
    accountId: 'acct-1',
    tier: 'N2',
    currency: 'MXN',
    perTransactionMinor: null,
    dailySpendMinor: null,
    dailyAtmMinor: null,
    monthlySpendMinor: null,
    dailyTransfersMinor: null,
    timeZone: null,
    updatedAt: T0,
    ...fields,
  });

  it('applies a change from the next transaction of the account on, and a tombstone restores the tier', async () => {
    const p = await driver();
    await p.send(deposit(10_000_000n, T0 - HOUR), transferOut(1_000_000n, T0));
    expect(p.alerts('limit-breach')).toEqual([]);
    await p.setLimits(limits({ dailyTransfersMinor: 300_000n, updatedAt: T0 + MINUTE }));
    const over = transferOut(10_000n, T0 + 2 * MINUTE);
    await p.send(over);
    const [alert] = p.alerts('limit-breach');
    expect(alert?.transactionId).toBe(over.transactionId);
    expect(alert?.evidence).toEqual([
      {
        measure: 'daily-transfers',
        value: 1_010_000n,
        threshold: 300_000n,
        unit: 'MXN',
        window: '2026-11-30',
      },
    ]);
    expect(alert?.summary).toContain('with overrides');

    // The next day: the tombstone puts the account back on N2's 12,800 MXN.
    await p.removeLimits('acct-1', T0 + DAY);
    await p.send(transferOut(1_200_000n, T0 + DAY + HOUR));
    expect(p.alerts('limit-breach')).toHaveLength(1);
  });

  it("uses the tier's limits and the account's time zone", async () => {
    const p = await driver();
    await p.setLimits(limits({ tier: 'N1', timeZone: 'Asia/Tokyo', updatedAt: T0 - DAY }));
    await p.send(
      deposit(10_000_000n, T0 - HOUR),
      transferOut(250_000n, T0),
      transferOut(260_000n, T0 + HOUR),
    );
    const [alert] = p.alerts('limit-breach');
    // N1: 5,000 MXN of transfers a day; T0 + 1 h is Dec 1 in Tokyo.
    expect(alert?.evidence[0]).toMatchObject({
      measure: 'daily-transfers',
      threshold: 500_000n,
      window: '2026-12-01',
    });
  });

  it('falls back to the default time zone when an update names an unknown one', async () => {
    const p = await driver();
    await p.setLimits(limits({ timeZone: 'Mars/Olympus_Mons', dailyTransfersMinor: 100_000n }));
    await p.send(transferOut(200_000n, T0 + HOUR));
    expect(p.deadLetters()).toEqual([]);
    expect(p.alerts('limit-breach')[0]?.evidence[0]?.window).toBe('2026-11-30');
  });
});

describe('alerts', () => {
  const scenario = () => [
    deposit(1_000_000n, T0 - HOUR),
    ...times(7, (i) => cardPayment(10_000n, T0 + i * 5 * SECOND)),
    onlinePayment(50_000n, T0 + HOUR, CASINO),
  ];

  it('have the same ids when the same input is processed again (a replay)', async () => {
    const input = scenario();
    const first = await driver();
    await first.send(...input);
    const ids = first.alerts().map((a) => a.alertId);
    await first.close();
    product = undefined;
    const second = await driver();
    await second.send(...input.map((t) => ({ ...t })));
    expect(ids).toHaveLength(2);
    expect(second.alerts().map((a) => a.alertId)).toEqual(ids);
    expect(new Set(ids).size).toBe(2);
  });

  it('carry the rule set version, a score and no card token or merchant name', async () => {
    const p = await driver();
    await p.send(...scenario());
    for (const alert of p.alerts()) {
      expect(alert.ruleSetVersion).toBe('2026-12-04.1');
      expect(alert.score).toBeGreaterThanOrEqual(0);
      expect(alert.score).toBeLessThanOrEqual(100);
      const text = JSON.stringify(alert, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
      expect(text).not.toMatch(/card-token|OXXO|Casino en/);
    }
  });
});
