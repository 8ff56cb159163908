import { describe, expect, it, vi } from 'vitest';
import {
  EventTimeline,
  ExpectedBalanceFold,
  RULE_IDS,
  TrafficGenerator,
  activityWeight,
  effectiveLimits,
  isQuincena,
  localTime,
  type Emission,
  type RealisticOptions,
} from '../../../../cli/generate/index.ts';
import type { TransactionRecord } from '../../../../topologies/transactions/transaction.ts';
import { recordsJson } from './fakes.ts';

const START = Date.UTC(2026, 10, 27, 6); // Friday 27 Nov 2026, midnight in Mexico City
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('the event timeline', () => {
  const timeline = new EventTimeline(START, 3 * DAY, 30_000);

  it('spreads record n of N over the span, in order, ending at the span’s end', () => {
    let previous = -Infinity;
    for (let slot = 0; slot <= 30_000; slot += 97) {
      const at = timeline.timeOf(slot);
      expect(at).toBeGreaterThanOrEqual(previous);
      previous = at;
    }
    expect(timeline.timeOf(0)).toBe(START);
    expect(timeline.timeOf(30_000)).toBe(START + 3 * DAY);
  });

  it('finds the first slot at or after a time', () => {
    for (const at of [START, START + 5 * HOUR + 123, START + 2 * DAY + 17 * HOUR]) {
      const slot = timeline.slotAt(at);
      expect(timeline.timeOf(slot)).toBeGreaterThanOrEqual(at);
      expect(timeline.timeOf(slot - 1)).toBeLessThan(at);
    }
  });

  it('follows the day: few records at night, many at lunch, more on weekends and quincenas', () => {
    const perHour = new Array<number>(24).fill(0);
    for (let slot = 0; slot < 30_000; slot++) perHour[localTime(timeline.timeOf(slot)).hour]! += 1;
    expect(perHour[3]! * 10).toBeLessThan(perHour[13]!);
    const saturdayNoon = Date.UTC(2026, 10, 28, 19);
    const fridayNoon = Date.UTC(2026, 10, 27, 19);
    expect(activityWeight(saturdayNoon)).toBeGreaterThan(activityWeight(fridayNoon));
    expect(isQuincena(Date.UTC(2026, 10, 15, 18))).toBe(true);
    expect(isQuincena(Date.UTC(2026, 10, 30, 18))).toBe(true);
    expect(isQuincena(Date.UTC(2026, 1, 28, 18))).toBe(true);
    expect(isQuincena(Date.UTC(2026, 10, 16, 18))).toBe(false);
    // 23:30 on the 30th in Mexico City is 05:30 UTC on 1 December.
    expect(isQuincena(Date.UTC(2026, 11, 1, 5, 30))).toBe(true);
  });
});

const REALISTIC: RealisticOptions = {
  // To midnight of 1 December in Mexico City: the 30th is a quincena.
  spanMs: 4 * DAY,
  records: 12_000,
  historyDays: 120,
  fraudRate: 0.02,
  patterns: RULE_IDS,
};

function realistic(seed = 4, options: Partial<RealisticOptions> = {}, accounts = 800) {
  const realisticOptions = { ...REALISTIC, ...options };
  const traffic = new TrafficGenerator({
    accounts,
    seed,
    startTime: START,
    spacingMs: 1,
    realistic: realisticOptions,
  });
  const emissions: Emission[] = [];
  let live = 0;
  while (live < realisticOptions.records) {
    const emission = traffic.next();
    emissions.push(emission);
    if (emission.delivery !== 'history') live += 1;
  }
  return { traffic, emissions };
}

// One run shared by the tests that only read it.
const RUN = realistic();
const HISTORY = RUN.emissions.filter((emission) => emission.delivery === 'history').map((e) => e.record);
const LIVE = RUN.emissions.filter((emission) => emission.delivery !== 'history').map((e) => e.record);
const LABELS = RUN.traffic.labels();
const INJECTED = RUN.traffic.injected();

describe('realistic traffic', () => {
  it('is the same for the same seed, and never calls Math.random', () => {
    const random = vi.spyOn(Math, 'random');
    const again = realistic(4, { records: 3_000 });
    const once = realistic(4, { records: 3_000 });
    expect(random).not.toHaveBeenCalled();
    random.mockRestore();
    expect(recordsJson(again.emissions.map((e) => e.record))).toBe(
      recordsJson(once.emissions.map((e) => e.record)),
    );
    expect(JSON.stringify(again.traffic.labels())).toBe(JSON.stringify(once.traffic.labels()));
  });

  it('sends a history of the 120 days before the start first, in event-time order, with no open hold', () => {
    expect(HISTORY.length).toBeGreaterThan(800 * 10);
    expect(HISTORY.length).toBeLessThan(800 * 60);
    for (let i = 1; i < HISTORY.length; i++) {
      expect(HISTORY[i]!.eventTime).toBeGreaterThanOrEqual(HISTORY[i - 1]!.eventTime);
    }
    expect(HISTORY[0]!.eventTime).toBeGreaterThanOrEqual(START - 120 * DAY);
    expect(HISTORY.at(-1)!.eventTime).toBeLessThan(START);
    const captured = new Set(HISTORY.filter((r) => r.type === 'CAPTURE').map((r) => r.authorizationId));
    for (const record of HISTORY)
      if (record.type === 'AUTHORIZATION') expect(captured.has(record.transactionId)).toBe(true);
    const withHistory = new Set(HISTORY.map((record) => record.accountId));
    // Some customers are new: no history at all.
    expect(withHistory.size).toBeGreaterThan(600);
    expect(withHistory.size).toBeLessThan(780);
  });

  it('spreads the live traffic over the span with the day’s rhythm, never past its end', () => {
    for (const record of LIVE) {
      expect(record.eventTime).toBeGreaterThanOrEqual(START - DAY); // late authorizations keep their time
      expect(record.eventTime).toBeLessThanOrEqual(START + REALISTIC.spanMs);
    }
    const night = LIVE.filter((r) => [2, 3, 4].includes(localTime(r.eventTime).hour)).length;
    const noon = LIVE.filter((r) => [12, 13, 14].includes(localTime(r.eventTime).hour)).length;
    expect(night * 5).toBeLessThan(noon);
    expect(LIVE.at(-1)!.eventTime - LIVE[0]!.eventTime).toBeGreaterThan(2 * DAY);
  });

  it('pays salaries on quincenas: the 30th of November is a payday', () => {
    const payroll = LIVE.filter(
      (r) => r.type === 'DEPOSIT' && r.channel === 'TRANSFER' && r.amountMinor >= 800_000n,
    );
    const onPayday = payroll.filter((r) => isQuincena(r.eventTime));
    expect(onPayday.length).toBeGreaterThan(50);
    // The rest: new customers' first deposits, which come any day.
    expect(onPayday.length / payroll.length).toBeGreaterThan(0.6);
  });

  it('publishes limits: tiers, overrides raised and lowered, and no record for some default-tier accounts', () => {
    const updates = RUN.traffic.limitUpdates();
    expect(updates.length).toBeGreaterThan(400);
    expect(updates.length).toBeLessThan(800);
    const tiers = new Set(updates.map((update) => update.tier));
    expect(tiers).toEqual(new Set(['N1', 'N2', 'N3', 'N4']));
    const raised = updates.filter(
      (u) => u.dailyTransfersMinor !== null && u.dailyTransfersMinor > 1_280_000n,
    );
    const lowered = updates.filter(
      (u) =>
        u.dailyTransfersMinor !== null &&
        u.dailyTransfersMinor < effectiveLimits({ ...u, dailyTransfersMinor: null }).dailyTransfersMinor,
    );
    expect(raised.length).toBeGreaterThan(10);
    expect(lowered.length).toBeGreaterThan(5);
  });

  it('injects every pattern, about as often each, and each injected incident meets its definition', () => {
    const byPattern = new Map<string, number>();
    for (const incident of INJECTED)
      byPattern.set(incident.pattern, (byPattern.get(incident.pattern) ?? 0) + 1);
    expect([...byPattern.keys()].sort()).toEqual([...RULE_IDS].sort());
    for (const count of byPattern.values()) expect(count).toBeGreaterThanOrEqual(8);
    const sent = new Set(RUN.emissions.map((e) => e.record.transactionId));
    let shown = 0;
    let complete = 0;
    for (const incident of INJECTED) {
      if (!incident.transactionIds.every((id) => sent.has(id))) continue;
      complete += 1;
      const ids = new Set(incident.transactionIds);
      if (
        LABELS.some(
          (l) =>
            l.pattern === incident.pattern &&
            l.accountId === incident.accountId &&
            l.transactionIds.some((id) => ids.has(id)),
        )
      ) {
        shown += 1;
      }
    }
    expect(complete).toBeGreaterThan(INJECTED.length * 0.9);
    expect(shown).toBe(complete);
  });

  it('labels what else an injected incident truly shows (a mule’s transfers breach the MTU), marked injected', () => {
    const injectedIds = new Set(INJECTED.flatMap((incident) => incident.transactionIds));
    const secondary = LABELS.filter(
      (label) =>
        label.injected &&
        !INJECTED.some(
          (i) =>
            i.pattern === label.pattern && label.transactionIds.some((id) => i.transactionIds.includes(id)),
        ),
    );
    expect(secondary.length).toBeGreaterThan(0);
    for (const label of LABELS.filter((l) => l.injected)) {
      expect(label.transactionIds.some((id) => injectedIds.has(id))).toBe(true);
    }
  });

  it('keeps normal traffic clear of the definitions but for rare accidents, and never overdrawn by it', () => {
    const incidental = LABELS.filter((label) => !label.injected);
    expect(incidental.length).toBeLessThanOrEqual(5);
    expect(incidental.filter((label) => label.pattern === 'overdraft').length).toBeLessThanOrEqual(1);
  });

  it('holds near misses: shopping sprees, two withdrawals a day, flights, metro rides, lotteries, large transfers of high-limit accounts', () => {
    const byAccount = new Map<string, TransactionRecord[]>();
    for (const record of LIVE)
      byAccount.set(record.accountId, [...(byAccount.get(record.accountId) ?? []), record]);
    let sprees = 0;
    let twoWithdrawals = 0;
    let flights = 0;
    for (const records of byAccount.values()) {
      const authorizations = records.filter((r) => r.type === 'AUTHORIZATION' && r.channel === 'POS');
      for (let i = 2; i < authorizations.length; i++) {
        if (authorizations[i]!.eventTime - authorizations[i - 2]!.eventTime <= 10 * 60_000) sprees += 1;
      }
      const withdrawals = records.filter((r) => r.type === 'WITHDRAWAL');
      for (let i = 1; i < withdrawals.length; i++) {
        if (withdrawals[i]!.eventTime - withdrawals[i - 1]!.eventTime < 12 * HOUR) twoWithdrawals += 1;
      }
      const cities = new Set(authorizations.map((r) => r.location?.city));
      if (cities.size > 1) flights += 1;
    }
    expect(sprees).toBeGreaterThan(10);
    expect(twoWithdrawals).toBeGreaterThan(10);
    expect(flights).toBeGreaterThan(10);
    expect(LIVE.filter((r) => r.merchant?.mcc === '4111').length).toBeGreaterThan(10);
    expect(LIVE.filter((r) => r.merchant?.mcc === '7800').length).toBeGreaterThan(3);
    const large = LIVE.filter((r) => r.type === 'TRANSFER_OUT' && r.amountMinor > 1_280_000n);
    expect(large.length).toBeGreaterThan(3);
  });

  it('injects nothing at a fraud rate of 0, and only the patterns asked for', () => {
    expect(realistic(5, { records: 3_000, fraudRate: 0 }).traffic.injected()).toEqual([]);
    const some = realistic(5, { records: 3_000, fraudRate: 0.05, patterns: ['card-testing', 'overdraft'] });
    expect(new Set(some.traffic.injected().map((i) => i.pattern))).toEqual(
      new Set(['card-testing', 'overdraft']),
    );
  });

  it('folds to the balances of what it sent (no negative balance from normal traffic)', () => {
    const fold = new ExpectedBalanceFold();
    for (const { record } of RUN.emissions) fold.apply(record);
    const overdrawn = new Set(LABELS.filter((l) => l.pattern === 'overdraft').map((l) => l.accountId));
    for (const [accountId, currencies] of fold.balances()) {
      if (overdrawn.has(accountId)) continue;
      for (const balance of currencies) expect(balance.availableMinor, accountId).toBeGreaterThanOrEqual(0n);
    }
  });
});
