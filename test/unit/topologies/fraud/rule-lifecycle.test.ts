import { afterEach, describe, expect, it } from 'vitest';
import type { TransactionRecord } from '../../../../topologies/transactions/transaction.ts';
import { DAY, HOUR, MINUTE, ProductDriver, T0, transaction } from '../../../support/product-driver.ts';
import {
  CASINO,
  CDMX,
  GUADALAJARA,
  MONTERREY,
  atmWithdrawal,
  cardPayment,
  deposit,
  onlinePayment,
  times,
  transferOut,
} from './fraud-scenarios.ts';

// For every rule: it fires; once per cooldown (and again after it); a trigger late within the
// grace (5 min) still fires; one later than the grace does not (it changes the balance only).

const SECOND = 1_000;
const GRACE = 5 * MINUTE;

interface RuleCase {
  rule: string;
  cooldownMs: number;
  /** Records before the trigger, in time order, all at least an hour before `t`. */
  setup?: (t: number) => TransactionRecord[];
  /** The k-th trigger (from 0), its records within a minute before `t`: the rule fires at `t`. */
  trigger: (t: number, k: number) => TransactionRecord[];
  /** Why a second firing within a cooldown cannot be built (the rule's own condition forbids it). */
  noCooldownCase?: string;
}

let authorizations = 0;
const capture = (amountMinor: bigint, eventTime: number): TransactionRecord[] => {
  authorizations += 1;
  const auth = cardPayment(50_000n, eventTime - 30 * SECOND, { transactionId: `auth-${authorizations}` });
  return [
    auth,
    transaction({ type: 'CAPTURE', authorizationId: auth.transactionId, amountMinor, eventTime }),
  ];
};

const CASES: RuleCase[] = [
  {
    rule: 'velocity-burst',
    cooldownMs: 30 * MINUTE,
    trigger: (t) => times(6, (i) => cardPayment(10_000n, t - (5 - i) * 5 * SECOND)),
  },
  {
    rule: 'card-testing',
    cooldownMs: HOUR,
    trigger: (t) => times(5, (i) => onlinePayment(BigInt(100 + i), t - (4 - i) * 8 * SECOND)),
  },
  {
    rule: 'amount-anomaly',
    cooldownMs: DAY,
    setup: (t) => times(6, (i) => cardPayment(20_000n, t - (20 - i * 3) * DAY)),
    // Each one far above the average, which the earlier ones raise.
    trigger: (t, k) => [cardPayment(500_000n * 10n ** BigInt(k), t)],
  },
  {
    rule: 'atm-cash-out',
    cooldownMs: HOUR,
    trigger: (t, k) => [
      atmWithdrawal(100_000n, t - 40 * SECOND, `atm-${k}-1`, CDMX),
      atmWithdrawal(100_000n, t - 20 * SECOND, `atm-${k}-2`, CDMX),
      atmWithdrawal(100_000n, t, `atm-${k}-3`, GUADALAJARA),
    ],
  },
  {
    rule: 'impossible-travel',
    cooldownMs: HOUR,
    setup: (t) => [cardPayment(30_000n, t - 2 * HOUR, { location: CDMX })],
    trigger: (t) => [
      cardPayment(30_000n, t - 50 * SECOND, { location: CDMX }),
      cardPayment(30_000n, t, { location: MONTERREY }),
    ],
  },
  {
    rule: 'high-risk-mcc',
    cooldownMs: DAY,
    trigger: (t, k) => [onlinePayment(50_000n, t, { ...CASINO, mcc: ['7995', '6051', '4829'][k] as string })],
  },
  {
    rule: 'rapid-drain',
    cooldownMs: DAY,
    setup: (t) => [deposit(1_000_000n, t - 2 * HOUR)],
    trigger: (t, k) => [...(k === 0 ? [] : [deposit(1_000_000n, t - 50 * SECOND)]), transferOut(950_000n, t)],
  },
  {
    rule: 'dormant-reactivation',
    cooldownMs: DAY,
    setup: (t) => [transferOut(10_000n, t - 100 * DAY)],
    trigger: (t) => [transferOut(10_000n, t)],
    noCooldownCase: 'a second reactivation needs 90 days without a spend, longer than the 24 h cooldown',
  },
  {
    rule: 'overdraft',
    cooldownMs: DAY,
    setup: (t) => [deposit(10_000n, t - 2 * HOUR)],
    trigger: (t) => capture(60_000n, t),
  },
  {
    rule: 'limit-breach',
    cooldownMs: DAY,
    setup: (t) => [deposit(10_000_000n, t - 2 * HOUR)],
    trigger: (t) => [transferOut(1_300_000n, t)],
  },
];

let product: ProductDriver | undefined;
afterEach(async () => {
  await product?.close();
  product = undefined;
});

async function driver(): Promise<ProductDriver> {
  product = await ProductDriver.create();
  return product;
}

/** Moves the partition's stream time with another account. */
const tick = (eventTime: number) => deposit(100n, eventTime, 'acct-clock');
const T = T0 + 200 * DAY;

describe.each(CASES)('$rule', (c) => {
  it('fires, with the trigger last among its transactions', async () => {
    const p = await driver();
    const trigger = c.trigger(T, 0);
    await p.send(...(c.setup?.(T) ?? []), ...trigger);
    const alerts = p.alerts(c.rule);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.transactionId).toBe(trigger.at(-1)?.transactionId);
    expect(alerts[0]?.transactionIds.at(-1)).toBe(trigger.at(-1)?.transactionId);
    expect(alerts[0]?.evidence.length).toBeGreaterThan(0);
  });

  it.skipIf(c.noCooldownCase !== undefined)(
    'alerts once within its cooldown and again after it',
    async () => {
      const p = await driver();
      await p.send(...(c.setup?.(T) ?? []), ...c.trigger(T, 0));
      await p.send(...c.trigger(T + c.cooldownMs / 2, 1));
      expect(p.alerts(c.rule)).toHaveLength(1);
      await p.send(...c.trigger(T + c.cooldownMs + 2 * MINUTE, 2));
      expect(p.alerts(c.rule)).toHaveLength(2);
    },
  );

  it('counts a trigger late by less than the grace', async () => {
    const p = await driver();
    await p.send(...(c.setup?.(T) ?? []), tick(T + GRACE - 2 * MINUTE));
    await p.send(...c.trigger(T, 0));
    expect(p.alerts(c.rule)).toHaveLength(1);
  });

  it('does not evaluate a trigger later than the grace, which still changes the balance', async () => {
    const p = await driver();
    await p.send(...(c.setup?.(T) ?? []), tick(T + GRACE + 10 * MINUTE));
    const before = p.lastSnapshot()?.version ?? 0n;
    await p.send(...c.trigger(T, 0));
    expect(p.alerts(c.rule)).toEqual([]);
    expect(p.lastSnapshot()?.version ?? 0n).toBeGreaterThan(before);
  });
});
