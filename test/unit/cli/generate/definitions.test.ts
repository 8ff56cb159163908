import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFINITION_PARAMETERS,
  DefinitionsDetector,
  TIER_LIMITS,
  effectiveLimits,
  type Limits,
  type RuleId,
} from '../../../../cli/generate/index.ts';
import type { TransactionRecord } from '../../../../topologies/transactions/transaction.ts';

const T = Date.UTC(2026, 10, 10, 18); // 12:00 in Mexico City
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const CDMX = { country: 'MX', city: 'Ciudad de México', lat: 19.4326, lon: -99.1332 };
const TIJUANA = { country: 'MX', city: 'Tijuana', lat: 32.5149, lon: -117.0382 };
const PUEBLA = { country: 'MX', city: 'Puebla', lat: 19.0414, lon: -98.2063 };

let serial = 0;
function tx(partial: Partial<TransactionRecord>): TransactionRecord {
  serial += 1;
  return {
    transactionId: `t${serial}`,
    accountId: 'acct-1',
    type: 'AUTHORIZATION',
    amountMinor: 10_000n,
    currency: 'MXN',
    authorizationId: null,
    channel: 'ECOMMERCE',
    cardId: 'card-1',
    merchant: { id: 'm-1', name: 'Shop', mcc: '5999', country: 'MX' },
    location: null,
    eventTime: T,
    ...partial,
  };
}
const pos = (at: number, location = CDMX, amountMinor = 10_000n) =>
  tx({ channel: 'POS', location, eventTime: at, amountMinor });
const atm = (at: number, merchantId: string, location = CDMX, amountMinor = 100_000n) =>
  tx({
    type: 'WITHDRAWAL',
    channel: 'ATM',
    location,
    eventTime: at,
    amountMinor,
    merchant: { id: merchantId, name: 'ATM', mcc: '6011', country: 'MX' },
  });

function detector(options: { limits?: Limits; available?: bigint } = {}) {
  return new DefinitionsDetector({
    limitsOf: () => options.limits ?? TIER_LIMITS.N2,
    availableOf: () => options.available ?? 1_000_000n,
  });
}

/** The rules each record exhibits, in order. */
function run(records: TransactionRecord[], options?: Parameters<typeof detector>[0]): RuleId[][] {
  const truth = detector(options);
  return records.map((record) => truth.apply(record).map((hit) => hit.rule));
}
const fired = (records: TransactionRecord[], options?: Parameters<typeof detector>[0]): RuleId[] => [
  ...new Set(run(records, options).flat()),
];

describe('the definitions of the fraud rules', () => {
  it('use the rule set’s default parameters', () => {
    const file = JSON.parse(readFileSync('topologies/fraud/default-rules.json', 'utf8')) as {
      rules: Array<{ id: string; parameters: Record<string, unknown> }>;
    };
    const parameters = Object.fromEntries(file.rules.map((rule) => [rule.id, rule.parameters]));
    const P = DEFINITION_PARAMETERS;
    expect(parameters['velocity-burst']).toEqual({ maxPerMinute: P.maxPerMinute, maxPerHour: P.maxPerHour });
    expect(parameters['card-testing']).toEqual({
      smallAmountMinor: Number(P.smallAmountMinor),
      minSmallAuthorizations: P.minSmallAuthorizations,
    });
    expect(parameters['amount-anomaly']).toEqual({
      multipleOfAverage: Number(P.multipleOfAverage),
      minAmountMinor: Number(P.minAmountMinor),
      minHistory: P.minHistory,
    });
    expect(parameters['atm-cash-out']).toEqual({
      minWithdrawals: P.minWithdrawals,
      minDistinctCities: P.minDistinctCities,
      minDistinctAtms: P.minDistinctAtms,
    });
    expect(parameters['impossible-travel']).toEqual({
      maxSpeedKmh: P.maxSpeedKmh,
      minDistanceKm: P.minDistanceKm,
    });
    expect(parameters['high-risk-mcc']).toEqual({ mccs: P.highRiskMccs });
    expect(parameters['rapid-drain']).toEqual({
      minInflowMinor: Number(P.minInflowMinor),
      drainPercent: Number(P.drainPercent),
      within: '24h',
    });
    expect(parameters['dormant-reactivation']).toEqual({ dormantDays: P.dormantDays });
    const tiers = (parameters['limit-breach'] as { tiers: Record<string, Record<string, number>> }).tiers;
    for (const [tier, limits] of Object.entries(TIER_LIMITS)) {
      expect(
        Object.fromEntries(Object.entries(limits).map(([name, value]) => [name, Number(value)])),
      ).toEqual(tiers[tier]);
    }
  });

  it('velocity-burst: more than 5 spends in a minute or 20 in an hour, not 5 and 20', () => {
    const five = Array.from({ length: 5 }, (_, i) => tx({ eventTime: T + i * 5_000 }));
    expect(fired(five)).toEqual([]);
    expect(run([...five, tx({ eventTime: T + 30_000 })]).at(-1)).toEqual(['velocity-burst']);
    const twenty = Array.from({ length: 20 }, (_, i) => tx({ eventTime: T + i * 2 * MIN }));
    expect(fired(twenty)).toEqual([]);
    expect(run([...twenty, tx({ eventTime: T + 41 * MIN })]).at(-1)).toEqual(['velocity-burst']);
    // Credits and captures are no spends.
    expect(
      fired(Array.from({ length: 8 }, (_, i) => tx({ type: 'DEPOSIT', channel: 'APP', eventTime: T + i }))),
    ).toEqual([]);
  });

  it('card-testing: 5 card authorizations of at most 20.00 MXN in an hour; 21.00 MXN is not small', () => {
    const small = (i: number, amountMinor = 2_000n) => tx({ eventTime: T + i * 10 * MIN, amountMinor });
    expect(run([0, 1, 2, 3, 4].map((i) => small(i))).at(-1)).toEqual(['card-testing']);
    expect(fired([0, 1, 2, 3].map((i) => small(i)).concat(small(4, 2_100n)))).toEqual([]);
    expect(fired([0, 1, 2, 3, 7].map((i) => small(i)))).toEqual([]);
  });

  it('amount-anomaly: 5 × the 30-day average and at least 3,000 MXN, after 5 spends', () => {
    const history = [1, 2, 3, 4, 5].map((d) => tx({ eventTime: T - d * DAY, amountMinor: 60_000n }));
    expect(run([...history, tx({ amountMinor: 300_000n })]).at(-1)).toEqual(['amount-anomaly']);
    expect(run([...history, tx({ amountMinor: 299_999n })]).at(-1)).toEqual([]);
    expect(run([...history.slice(1), tx({ amountMinor: 300_000n })]).at(-1)).toEqual([]);
    // Spends older than 30 days do not count.
    const old = [31, 32, 33, 34, 35].map((d) => tx({ eventTime: T - d * DAY, amountMinor: 10_000n }));
    expect(run([...old, tx({ amountMinor: 500_000n })]).at(-1)).toEqual([]);
  });

  it('atm-cash-out: 3 withdrawals in an hour at 2 cities or 3 ATMs; 2 withdrawals a day are not', () => {
    expect(run([atm(T, 'a'), atm(T + 10 * MIN, 'b'), atm(T + 20 * MIN, 'c')]).at(-1)).toEqual([
      'atm-cash-out',
    ]);
    expect(run([atm(T, 'a'), atm(T + 10 * MIN, 'a', PUEBLA), atm(T + 20 * MIN, 'a')]).at(-1)).toEqual([
      'atm-cash-out',
    ]);
    expect(fired([atm(T, 'a'), atm(T + 10 * MIN, 'a'), atm(T + 20 * MIN, 'b')])).toEqual([]);
    expect(fired([atm(T, 'a'), atm(T + 5 * HOUR, 'b')])).toEqual([]);
  });

  it('impossible-travel: two card-present spends > 300 km apart faster than 900 km/h; a flight is not', () => {
    expect(run([pos(T), pos(T + 60 * MIN, TIJUANA)]).at(-1)).toEqual(['impossible-travel']);
    expect(fired([pos(T), pos(T + 5 * HOUR, TIJUANA)])).toEqual([]);
    // Puebla is about 110 km away: never too far, however fast.
    expect(fired([pos(T), pos(T + MIN, PUEBLA)])).toEqual([]);
    // Online purchases have no place.
    expect(fired([pos(T), tx({ eventTime: T + MIN })])).toEqual([]);
  });

  it('high-risk-mcc: the first authorization at a gambling site, not the second, not a lottery', () => {
    const casino = () => tx({ merchant: { id: 'c', name: 'Casino', mcc: '7995', country: 'MX' } });
    expect(run([casino(), casino()])).toEqual([['high-risk-mcc'], []]);
    expect(fired([tx({ merchant: { id: 'l', name: 'Lotería', mcc: '7800', country: 'MX' } })])).toEqual([]);
  });

  it('rapid-drain: 90 % of an inflow of 5,000 MXN out within 24 h', () => {
    const inflow = tx({ type: 'TRANSFER_IN', channel: 'TRANSFER', amountMinor: 1_000_000n, merchant: null });
    const out = (amountMinor: bigint, at: number) =>
      tx({ type: 'TRANSFER_OUT', channel: 'TRANSFER', amountMinor, merchant: null, eventTime: at });
    expect(run([inflow, out(500_000n, T + HOUR), out(400_000n, T + 2 * HOUR)]).at(-1)).toContain(
      'rapid-drain',
    );
    expect(fired([inflow, out(500_000n, T + HOUR), out(390_000n, T + 2 * HOUR)])).toEqual([]);
    expect(fired([inflow, out(500_000n, T + HOUR), out(400_000n, T + 25 * HOUR)])).toEqual([]);
  });

  it('dormant-reactivation: a spend 90 days after the previous one; an account with no spend is not dormant', () => {
    expect(run([tx({ eventTime: T - 91 * DAY }), tx({})]).at(-1)).toEqual(['dormant-reactivation']);
    expect(fired([tx({ eventTime: T - 80 * DAY }), tx({})])).toEqual([]);
    expect(fired([tx({ type: 'DEPOSIT', channel: 'APP', eventTime: T - 200 * DAY }), tx({})])).toEqual([]);
  });

  it('overdraft: available below zero right after a capture or a fee', () => {
    const capture = tx({ type: 'CAPTURE', authorizationId: 'a-1' });
    expect(run([capture], { available: -1n })).toEqual([['overdraft']]);
    expect(run([capture], { available: 0n })).toEqual([[]]);
    expect(run([tx({ type: 'WITHDRAWAL', channel: 'ATM' })], { available: -1n })).toEqual([[]]);
  });

  it('limit-breach: per transaction, per local day and per month, from the tier and its overrides', () => {
    const transfer = (amountMinor: bigint, at = T) =>
      tx({ type: 'TRANSFER_OUT', channel: 'APP', amountMinor, merchant: null, eventTime: at });
    // N2: the MTU is 12,800 MXN a day.
    expect(run([transfer(700_000n), transfer(580_000n)])).toEqual([[], []]);
    expect(run([transfer(700_000n), transfer(580_001n)]).at(-1)).toEqual(['limit-breach']);
    // The next local day starts afresh: 23:00 and 01:00 in Mexico City are two days.
    const lateEvening = Date.UTC(2026, 10, 11, 5);
    expect(fired([transfer(700_000n, lateEvening), transfer(700_000n, lateEvening + 2 * HOUR)])).toEqual([]);
    const lowered = effectiveLimits({
      accountId: 'acct-1',
      tier: 'N3',
      currency: 'MXN',
      perTransactionMinor: null,
      dailySpendMinor: null,
      dailyAtmMinor: null,
      monthlySpendMinor: null,
      dailyTransfersMinor: 200_000n,
      timeZone: null,
      updatedAt: 0,
    });
    expect(run([transfer(250_000n)], { limits: lowered })).toEqual([['limit-breach']]);
    expect(run([atm(T, 'a', CDMX, 1_000_000n)]).at(-1)).toEqual(['limit-breach']);
  });

  it('ignores a duplicate transaction id, and probing changes nothing', () => {
    const truth = detector();
    const burst = Array.from({ length: 6 }, (_, i) => tx({ eventTime: T + i * 1_000 }));
    expect(truth.probe(burst)).toEqual(['velocity-burst']);
    expect(truth.probe(burst)).toEqual(['velocity-burst']);
    for (const record of burst.slice(0, 5)) truth.apply(record);
    expect(truth.apply(burst[0] as TransactionRecord)).toEqual([]);
    expect(truth.apply(burst[5] as TransactionRecord).map((hit) => hit.rule)).toEqual(['velocity-burst']);
  });

  it('merges the hits of one rule and account within its cooldown into one incident', () => {
    const truth = detector();
    for (let i = 0; i < 9; i++) truth.apply(tx({ eventTime: T + i * 1_000 }));
    for (let i = 0; i < 6; i++) truth.apply(tx({ eventTime: T + 3 * HOUR + i * 1_000 }));
    const incidents = truth.incidents();
    expect(incidents.map((incident) => [incident.rule, incident.transactionIds.length])).toEqual([
      ['velocity-burst', 9],
      ['velocity-burst', 6],
    ]);
    expect(incidents[0]).toMatchObject({ accountId: 'acct-1', from: T, to: T + 8_000 });
  });
});
