import { describe, expect, it } from 'vitest';
import {
  VELOCITY_WINDOWS,
  VelocityProfile,
  velocityProfileSerde,
} from '../../../../topologies/fraud/velocity.ts';
import { accountActivitySerde, emptyActivity } from '../../../../topologies/fraud/activity.ts';
import { accountLimitsSerde } from '../../../../topologies/fraud/limits.ts';

const T0 = Date.UTC(2026, 11, 1);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const GRACE = 5 * MINUTE;

describe('velocity windows', () => {
  it('counts and sums overall and per channel over 1 min, 1 h, 24 h and 30 days', () => {
    const profile = new VelocityProfile();
    profile.add(T0 - 10 * DAY, 'POS', 1_000n);
    profile.add(T0 - 2 * 60 * MINUTE, 'ATM', 50_000n);
    profile.add(T0 - 30 * MINUTE, 'ECOMMERCE', 2_500n);
    profile.add(T0 - 20 * SECOND, 'POS', 700n);
    profile.add(T0, 'POS', 300n);
    profile.add(T0, 'TRANSFER', undefined); // another currency: counted, not summed
    const at = profile.windows(T0);
    expect(at['1m'].overall).toEqual({ count: 3, summedCount: 2, sumMinor: 1_000n });
    expect(at['1h'].overall).toEqual({ count: 4, summedCount: 3, sumMinor: 3_500n });
    expect(at['24h'].overall).toEqual({ count: 5, summedCount: 4, sumMinor: 53_500n });
    expect(at['30d'].overall).toEqual({ count: 6, summedCount: 5, sumMinor: 54_500n });
    expect(at['30d'].byChannel.get('POS')).toEqual({ count: 3, summedCount: 3, sumMinor: 2_000n });
    expect(at['1m'].byChannel.get('ATM')).toBeUndefined();
  });

  it('leaves out what came after the window end (a late record sees its own windows)', () => {
    const profile = new VelocityProfile();
    profile.add(T0 + 5 * MINUTE, 'POS', 100n);
    profile.add(T0, 'POS', 100n);
    expect(profile.window('1m', T0).overall.count).toBe(1);
    expect(profile.window('1h', T0 + 5 * MINUTE).overall.count).toBe(2);
  });

  it('holds a bounded number of buckets however many spends an account makes (60 days, one every 7 s)', () => {
    const profile = new VelocityProfile();
    const bound = VELOCITY_WINDOWS.reduce(
      (sum, w) => sum + Math.ceil((w.windowMs + GRACE) / w.bucketMs) + 2,
      0,
    );
    let most = 0;
    let spends = 0;
    for (let at = T0; at < T0 + 60 * DAY; at += 7 * SECOND) {
      profile.add(at, spends % 2 === 0 ? 'POS' : 'ECOMMERCE', 1_000n);
      profile.prune(at, GRACE);
      spends += 1;
      most = Math.max(most, profile.bucketCount);
    }
    expect(spends).toBeGreaterThan(700_000);
    expect(most).toBeLessThanOrEqual(bound);
    expect(bound).toBeLessThan(1_000);
    // The value written per spend stays small too.
    expect(velocityProfileSerde.serialize(profile).length).toBeLessThan(20_000);
    const end = T0 + 60 * DAY - 7 * SECOND;
    expect(profile.window('30d', end).overall.count).toBeGreaterThan(370_000);
  });

  it('drops buckets older than window + grace, keeps those a late record within grace needs', () => {
    const profile = new VelocityProfile();
    profile.add(T0, 'POS', 100n);
    profile.prune(T0 + MINUTE + GRACE - 1, GRACE);
    expect(profile.window('1m', T0 + 30 * SECOND).overall.count).toBe(1);
    profile.prune(T0 + 31 * DAY + GRACE, GRACE);
    expect(profile.bucketCount).toBe(0);
  });

  it('round-trips through its store serde', () => {
    const profile = new VelocityProfile();
    for (let i = 0; i < 500; i++)
      profile.add(T0 + i * 13 * MINUTE, i % 3 === 0 ? 'ATM' : 'POS', BigInt(i * 1_000));
    profile.add(T0, 'APP', undefined);
    const copy = velocityProfileSerde.deserialize(velocityProfileSerde.serialize(profile));
    const end = T0 + 499 * 13 * MINUTE;
    expect(copy.windows(end)).toEqual(profile.windows(end));
    expect(copy.bucketCount).toBe(profile.bucketCount);
  });
});

describe('account activity and limits store values', () => {
  it("round-trip, growing past the writer's first buffer", () => {
    const activity = emptyActivity();
    activity.lastSpendAt = T0;
    activity.lastCardPresent = { at: T0, lat: 19.4326, lon: -99.1332, country: 'MX', transactionId: 'tx-1' };
    for (let i = 0; i < 24; i++) {
      activity.recent.push({
        at: T0 + i,
        kind: i % 2 === 0 ? 'card' : 'atm',
        channel: i % 2 === 0 ? 'POS' : 'ATM',
        amountMinor: i % 5 === 0 ? null : BigInt(i * 1_234),
        merchantId: i % 3 === 0 ? null : `merchant-${i}`,
        city: 'Ciudad de México',
        transactionId: `tx-${i}-${'x'.repeat(20)}`,
      });
    }
    activity.highRiskMccs = ['7995', '6051'];
    activity.inflow = {
      at: T0,
      amountMinor: 1_000_000n,
      transactionId: 'tx-in',
      outflowMinor: -5n,
      outflowTransactionIds: ['a', 'b'],
    };
    activity.usage = {
      day: 20261201,
      daySpendMinor: 1n,
      dayAtmMinor: 2n,
      dayTransfersMinor: 3n,
      month: 202612,
      monthSpendMinor: 2n ** 62n,
    };
    activity.lastAlertAt.set('velocity-burst', T0);
    const bytes = accountActivitySerde.serialize(activity);
    expect(bytes.length).toBeGreaterThan(256);
    expect(accountActivitySerde.deserialize(bytes)).toEqual(activity);
    expect(() => accountActivitySerde.deserialize(bytes.subarray(0, bytes.length - 1))).toThrow(/ends early/);
  });

  it('keeps limit overrides, their absence and the time zone', () => {
    const limits = {
      accountId: 'acct-1',
      tier: 'N3' as const,
      currency: 'MXN',
      perTransactionMinor: null,
      dailySpendMinor: 100n,
      dailyAtmMinor: null,
      monthlySpendMinor: 5n,
      dailyTransfersMinor: 5_000_000n,
      timeZone: 'America/Tijuana',
      updatedAt: T0,
    };
    expect(accountLimitsSerde.deserialize(accountLimitsSerde.serialize(limits))).toEqual(limits);
  });
});
