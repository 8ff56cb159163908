/**
 * The ground truth of the fraud rules' definitions, over the records a run sends, in the order it
 * sends them: which transactions exhibit which rule. Written from the definitions (the rule set's
 * default parameters, topologies/fraud/default-rules.json) and nothing of the fraud topology's code,
 * as the expected-balance fold is for balances, so that `saldo evaluate` measures the topology
 * against it. Pure: no I/O, no clock; the balances it needs (overdraft) and the limits in force come
 * from the caller.
 *
 * - spend: AUTHORIZATION / INCREMENTAL_AUTHORIZATION (POS, ECOMMERCE), WITHDRAWAL (ATM),
 *   TRANSFER_OUT (TRANSFER, APP); sums count MXN amounts only;
 * - velocity-burst: more than 5 spends in (t − 1 min, t], or more than 20 in (t − 1 h, t];
 * - card-testing: ≥ 5 card authorizations of ≤ 20.00 MXN in (t − 1 h, t];
 * - amount-anomaly: a spend ≥ 3,000.00 MXN and ≥ 5 × the average of the account's spends of
 *   [t − 30 d, t), of which there are ≥ 5;
 * - atm-cash-out: ≥ 3 withdrawals in (t − 1 h, t] at ≥ 2 cities or ≥ 3 ATMs (merchant ids);
 * - impossible-travel: a card-present spend (POS or ATM, with a location) > 300 km from the latest
 *   earlier one, at an implied speed > 900 km/h (at least a minute between them);
 * - high-risk-mcc: the account's first AUTHORIZATION at a merchant of MCC 4829, 6051, 6540 or 7995;
 * - rapid-drain: after an inflow (DEPOSIT, TRANSFER_IN) ≥ 5,000.00 MXN — the last such — spends
 *   within 24 h of it totalling ≥ 90 % of it;
 * - dormant-reactivation: a spend ≥ 90 days after the account's previous spend;
 * - overdraft: an available balance below zero right after a CAPTURE or a FEE;
 * - limit-breach: a spend above the per-transaction limit, or taking the local day's card + ATM
 *   spend, ATM withdrawals or transfers, or the month's spend, above its limit (days and months of
 *   Mexico City).
 *
 * A transaction id counts once (a duplicate is ignored), as the topology admits it once.
 */
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import type { Limits } from './limits.ts';
import { DAY_MS, HOUR_MS, localDayKey, localMonthKey } from './timeline.ts';

export const RULE_IDS = [
  'velocity-burst',
  'card-testing',
  'amount-anomaly',
  'atm-cash-out',
  'impossible-travel',
  'high-risk-mcc',
  'rapid-drain',
  'dormant-reactivation',
  'overdraft',
  'limit-breach',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

/** The rule set's default parameters (test/unit/cli/generate checks them against the file). */
export const DEFINITION_PARAMETERS = {
  currency: 'MXN',
  maxPerMinute: 5,
  maxPerHour: 20,
  smallAmountMinor: 2_000n,
  minSmallAuthorizations: 5,
  multipleOfAverage: 5n,
  minAmountMinor: 300_000n,
  minHistory: 5,
  minWithdrawals: 3,
  minDistinctCities: 2,
  minDistinctAtms: 3,
  maxSpeedKmh: 900,
  minDistanceKm: 300,
  highRiskMccs: ['4829', '6051', '6540', '7995'] as readonly string[],
  minInflowMinor: 500_000n,
  drainPercent: 90n,
  drainWithinMs: 24 * HOUR_MS,
  dormantDays: 90,
} as const;

const P = DEFINITION_PARAMETERS;

/** The thresholds that count: the definitions', or tighter ones with a margin for planning. */
interface Thresholds {
  maxPerMinute: number;
  maxPerHour: number;
  minSmallAuthorizations: number;
  multipleOfAverage: bigint;
  minAmountMinor: bigint;
  drainPercent: bigint;
  /** Of each limit. */
  limitPercent: bigint;
}
const EXACT: Thresholds = {
  maxPerMinute: P.maxPerMinute,
  maxPerHour: P.maxPerHour,
  minSmallAuthorizations: P.minSmallAuthorizations,
  multipleOfAverage: P.multipleOfAverage,
  minAmountMinor: P.minAmountMinor,
  drainPercent: P.drainPercent,
  limitPercent: 100n,
};
/**
 * What the generator keeps normal traffic below: some records of a story come later than it is
 * planned (incrementals, late authorizations), and other stories' in the meantime.
 */
const GUARDED: Thresholds = {
  maxPerMinute: 4,
  maxPerHour: 16,
  minSmallAuthorizations: 4,
  multipleOfAverage: 4n,
  minAmountMinor: 250_000n,
  drainPercent: 70n,
  limitPercent: 85n,
};

function scaled(limits: Limits, percent: bigint): Limits {
  if (percent === 100n) return limits;
  const of = (value: bigint) => (value * percent) / 100n;
  return {
    perTransactionMinor: of(limits.perTransactionMinor),
    dailySpendMinor: of(limits.dailySpendMinor),
    dailyAtmMinor: of(limits.dailyAtmMinor),
    monthlySpendMinor: of(limits.monthlySpendMinor),
    dailyTransfersMinor: of(limits.dailyTransfersMinor),
  };
}
const MINUTE_MS = 60_000;
const AVERAGE_WINDOW_MS = 30 * DAY_MS;

/**
 * Hits of one rule on one account within this long of each other (the rule's cooldown in the rule
 * set) are one incident: the topology alerts once per cooldown.
 */
export const INCIDENT_WINDOW_MS: Readonly<Record<RuleId, number>> = {
  'velocity-burst': 30 * MINUTE_MS,
  'card-testing': HOUR_MS,
  'amount-anomaly': DAY_MS,
  'atm-cash-out': HOUR_MS,
  'impossible-travel': HOUR_MS,
  'high-risk-mcc': DAY_MS,
  'rapid-drain': DAY_MS,
  'dormant-reactivation': DAY_MS,
  overdraft: DAY_MS,
  'limit-breach': DAY_MS,
};

export type SpendKind = 'card' | 'atm' | 'transfer';

/** Whether a record is a spend, and of which kind; null when it is not one. */
export function spendKindOf(record: Pick<TransactionRecord, 'type' | 'channel'>): SpendKind | null {
  switch (record.type) {
    case 'AUTHORIZATION':
    case 'INCREMENTAL_AUTHORIZATION':
      return record.channel === 'POS' || record.channel === 'ECOMMERCE' ? 'card' : null;
    case 'WITHDRAWAL':
      return record.channel === 'ATM' ? 'atm' : null;
    case 'TRANSFER_OUT':
      return record.channel === 'TRANSFER' || record.channel === 'APP' ? 'transfer' : null;
    default:
      return null;
  }
}

/** Great-circle distance in km (haversine, mean Earth radius). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

interface Spend {
  at: number;
  kind: SpendKind;
  /** MXN amount; null in another currency. */
  amountMinor: bigint | null;
  smallCardAuthorization: boolean;
  merchantId: string | null;
  city: string | null;
  transactionId: string;
}

interface CardPresent {
  at: number;
  lat: number;
  lon: number;
  transactionId: string;
}

interface InflowWatch {
  at: number;
  amountMinor: bigint;
  outMinor: bigint;
  transactionIds: string[];
  fired: boolean;
}

interface Usage {
  day: number;
  month: number;
  daySpendMinor: bigint;
  dayAtmMinor: bigint;
  dayTransfersMinor: bigint;
  monthSpendMinor: bigint;
}

/** What the definitions need to remember of an account. */
interface AccountTruth {
  /** Spends of the last 30 days of the newest one seen, oldest first. */
  spends: Spend[];
  lastSpendAt: number;
  lastCardPresent: CardPresent | null;
  highRiskPaid: Set<string>;
  inflow: InflowWatch | null;
  usage: Usage;
}

/** One transaction's finding: the rule, and the transactions that show it (the raising one last). */
export interface Hit {
  rule: RuleId;
  accountId: string;
  at: number;
  transactionIds: string[];
}

/** Hits of one rule on one account, one cooldown apart at most. */
export interface Incident {
  rule: RuleId;
  accountId: string;
  transactionIds: string[];
  /** Event time of the first and the last transaction involved. */
  from: number;
  to: number;
}

export interface DefinitionsDeps {
  /** The limits in force for the account. */
  limitsOf: (accountId: string) => Limits;
  /** Available balance of the account in the currency, after the records applied so far. */
  availableOf: (accountId: string, currency: string) => bigint;
}

export class DefinitionsDetector {
  readonly #deps: DefinitionsDeps;
  readonly #seen = new Set<string>();
  readonly #accounts = new Map<string, AccountTruth>();
  /** Event time of every transaction seen (from/to of incidents). */
  readonly #times = new Map<string, number>();
  readonly #incidents: Incident[] = [];
  /** The open incident per rule and account. */
  readonly #open = new Map<string, Incident>();

  constructor(deps: DefinitionsDeps) {
    this.#deps = deps;
  }

  /**
   * What the records would exhibit if they came now, one after the other, leaving everything as it
   * is (overdraft is not foreseen: it depends on the balances after them). Records need their event
   * time. With `margin`, tighter thresholds than the definitions' (velocity 4/min and 16/h, 4 small
   * authorizations, 4 × the average from 2,500 pesos, a 70 % drain, 85 % of each limit): what
   * the generator keeps normal traffic below.
   */
  probe(records: readonly TransactionRecord[], margin = false): RuleId[] {
    const thresholds = margin ? GUARDED : EXACT;
    const clones = new Map<string, AccountTruth>();
    const rules: RuleId[] = [];
    for (const record of records) {
      if (this.#seen.has(record.transactionId)) continue;
      let account = clones.get(record.accountId);
      if (account === undefined) {
        account = cloneAccount(this.#accounts.get(record.accountId) ?? emptyAccount());
        clones.set(record.accountId, account);
      }
      for (const hit of this.#evaluate(account, record, thresholds)) {
        if (!rules.includes(hit.rule)) rules.push(hit.rule);
      }
    }
    return rules;
  }

  /** Applies the record (after the caller's balances have) and returns what it exhibits. */
  apply(record: TransactionRecord): Hit[] {
    if (this.#seen.has(record.transactionId)) return [];
    this.#seen.add(record.transactionId);
    this.#times.set(record.transactionId, record.eventTime);
    let account = this.#accounts.get(record.accountId);
    if (account === undefined) {
      account = emptyAccount();
      this.#accounts.set(record.accountId, account);
    }
    const hits = this.#evaluate(account, record, EXACT);
    if (
      (record.type === 'CAPTURE' || record.type === 'FEE') &&
      this.#deps.availableOf(record.accountId, record.currency) < 0n
    ) {
      const ids =
        record.authorizationId === null
          ? [record.transactionId]
          : [record.authorizationId, record.transactionId];
      hits.push(this.#hit('overdraft', record, ids));
    }
    for (const hit of hits) this.#record(hit);
    return hits;
  }

  /** Every incident so far, in the order they began. */
  incidents(): Incident[] {
    return this.#incidents.map((incident) => ({ ...incident, transactionIds: [...incident.transactionIds] }));
  }

  /** The account's spends in (at − windowMs, at], as far as remembered (at most 30 days). */
  recentSpends(accountId: string, at: number, windowMs: number): number {
    const spends = this.#accounts.get(accountId)?.spends ?? [];
    let count = 0;
    for (let i = spends.length - 1; i >= 0; i--) {
      const spend = spends[i] as Spend;
      if (spend.at <= at - windowMs) break;
      if (spend.at <= at) count += 1;
    }
    return count;
  }

  /** Average MXN spend of [at − 30 d, at) and how many there were. */
  average(accountId: string, at: number): { averageMinor: bigint; count: number } {
    const { sumMinor, count } = totalOf(this.#accounts.get(accountId)?.spends ?? [], at);
    return { averageMinor: count === 0 ? 0n : sumMinor / BigInt(count), count };
  }

  /** Event time of the account's last spend; -1 when none is known. */
  lastSpendAt(accountId: string): number {
    return this.#accounts.get(accountId)?.lastSpendAt ?? -1;
  }

  #hit(rule: RuleId, record: TransactionRecord, transactionIds: string[]): Hit {
    return { rule, accountId: record.accountId, at: record.eventTime, transactionIds };
  }

  /** The record's hits, given the account's state before it; updates that state. */
  #evaluate(account: AccountTruth, record: TransactionRecord, thresholds: Thresholds): Hit[] {
    const T = thresholds;
    const hits: Hit[] = [];
    const t = record.eventTime;
    const mxn = record.currency === P.currency ? record.amountMinor : null;

    if (
      (record.type === 'DEPOSIT' || record.type === 'TRANSFER_IN') &&
      mxn !== null &&
      mxn >= P.minInflowMinor
    ) {
      account.inflow = {
        at: t,
        amountMinor: mxn,
        outMinor: 0n,
        transactionIds: [record.transactionId],
        fired: false,
      };
      return hits;
    }
    const kind = spendKindOf(record);
    if (kind === null) return hits;

    const spend: Spend = {
      at: t,
      kind,
      amountMinor: mxn,
      smallCardAuthorization:
        record.type === 'AUTHORIZATION' && kind === 'card' && mxn !== null && mxn <= P.smallAmountMinor,
      merchantId: record.merchant?.id ?? null,
      city: record.location?.city ?? null,
      transactionId: record.transactionId,
    };
    const spends = account.spends;
    const within = (windowMs: number, keep: (s: Spend) => boolean = () => true): Spend[] => {
      const found: Spend[] = [];
      for (const s of spends) if (s.at > t - windowMs && s.at <= t && keep(s)) found.push(s);
      found.push(spend);
      return found;
    };
    const ids = (list: Spend[]): string[] => list.map((s) => s.transactionId);

    // velocity-burst
    const minute = within(MINUTE_MS);
    const hour = within(HOUR_MS);
    if (minute.length > T.maxPerMinute) hits.push(this.#hit('velocity-burst', record, ids(minute)));
    else if (hour.length > T.maxPerHour) hits.push(this.#hit('velocity-burst', record, ids(hour)));

    // card-testing
    if (spend.smallCardAuthorization) {
      const small = within(HOUR_MS, (s) => s.smallCardAuthorization);
      if (small.length >= T.minSmallAuthorizations) hits.push(this.#hit('card-testing', record, ids(small)));
    }

    // amount-anomaly
    if (mxn !== null && mxn >= T.minAmountMinor) {
      const { sumMinor, count } = totalOf(spends, t);
      if (count >= P.minHistory && mxn * BigInt(count) >= T.multipleOfAverage * sumMinor) {
        hits.push(this.#hit('amount-anomaly', record, [record.transactionId]));
      }
    }

    // atm-cash-out
    if (kind === 'atm') {
      const withdrawals = within(HOUR_MS, (s) => s.kind === 'atm');
      const cities = new Set(withdrawals.map((s) => s.city ?? '?'));
      const atms = new Set(withdrawals.map((s) => s.merchantId ?? '?'));
      if (
        withdrawals.length >= P.minWithdrawals &&
        (cities.size >= P.minDistinctCities || atms.size >= P.minDistinctAtms)
      ) {
        hits.push(this.#hit('atm-cash-out', record, ids(withdrawals)));
      }
    }

    // impossible-travel
    const cardPresent =
      record.location !== null && (record.channel === 'POS' || record.channel === 'ATM')
        ? { at: t, lat: record.location.lat, lon: record.location.lon, transactionId: record.transactionId }
        : null;
    if (cardPresent !== null && account.lastCardPresent !== null) {
      const previous = account.lastCardPresent;
      const km = distanceKm(previous, cardPresent);
      // A minute at least between the two (terminals' clocks disagree by seconds); a transaction
      // older than the last card-present one (a late authorization) is no travel after it.
      const hours = Math.max(t - previous.at, MINUTE_MS) / HOUR_MS;
      if (t >= previous.at && km > P.minDistanceKm && km / hours > P.maxSpeedKmh) {
        hits.push(this.#hit('impossible-travel', record, [previous.transactionId, record.transactionId]));
      }
    }

    // high-risk-mcc
    const mcc = record.merchant?.mcc;
    const firstHighRisk =
      record.type === 'AUTHORIZATION' &&
      mcc !== undefined &&
      P.highRiskMccs.includes(mcc) &&
      !account.highRiskPaid.has(mcc);
    if (firstHighRisk) hits.push(this.#hit('high-risk-mcc', record, [record.transactionId]));

    // rapid-drain
    const inflow = account.inflow;
    let drained: InflowWatch | null = null;
    if (
      inflow !== null &&
      !inflow.fired &&
      mxn !== null &&
      t >= inflow.at &&
      t - inflow.at <= P.drainWithinMs
    ) {
      const out = inflow.outMinor + mxn;
      if (out * 100n >= inflow.amountMinor * T.drainPercent) {
        hits.push(this.#hit('rapid-drain', record, [...inflow.transactionIds, record.transactionId]));
      }
      drained = {
        ...inflow,
        outMinor: out,
        transactionIds: [...inflow.transactionIds, record.transactionId],
        fired: out * 100n >= inflow.amountMinor * T.drainPercent,
      };
    }

    // dormant-reactivation
    if (account.lastSpendAt >= 0 && t - account.lastSpendAt >= P.dormantDays * DAY_MS) {
      hits.push(this.#hit('dormant-reactivation', record, [record.transactionId]));
    }

    // limit-breach
    const usage = usageOn(account.usage, t);
    if (mxn !== null) {
      const limits = scaled(this.#deps.limitsOf(record.accountId), T.limitPercent);
      const daySpend = kind === 'transfer' ? usage.daySpendMinor : usage.daySpendMinor + mxn;
      const dayAtm = kind === 'atm' ? usage.dayAtmMinor + mxn : usage.dayAtmMinor;
      const dayTransfers = kind === 'transfer' ? usage.dayTransfersMinor + mxn : usage.dayTransfersMinor;
      const month = usage.monthSpendMinor + mxn;
      const breached =
        mxn > limits.perTransactionMinor ||
        (kind !== 'transfer' && daySpend > limits.dailySpendMinor) ||
        (kind === 'atm' && dayAtm > limits.dailyAtmMinor) ||
        (kind === 'transfer' && dayTransfers > limits.dailyTransfersMinor) ||
        month > limits.monthlySpendMinor;
      if (breached) hits.push(this.#hit('limit-breach', record, [record.transactionId]));
      account.usage = {
        ...usage,
        daySpendMinor: daySpend,
        dayAtmMinor: dayAtm,
        dayTransfersMinor: dayTransfers,
        monthSpendMinor: month,
      };
    }

    spends.push(spend);
    while (spends.length > 0 && (spends[0] as Spend).at < t - AVERAGE_WINDOW_MS) spends.shift();
    if (t > account.lastSpendAt) account.lastSpendAt = t;
    if (cardPresent !== null && (account.lastCardPresent === null || t >= account.lastCardPresent.at)) {
      account.lastCardPresent = cardPresent;
    }
    if (firstHighRisk) account.highRiskPaid.add(mcc);
    if (drained !== null) account.inflow = drained;
    return hits;
  }

  /** Adds a hit to the open incident of its rule and account, or opens one. */
  #record(hit: Hit): void {
    const key = `${hit.rule}\u0000${hit.accountId}`;
    const open = this.#open.get(key);
    const times = hit.transactionIds.map((id) => this.#times.get(id) ?? hit.at);
    const from = Math.min(hit.at, ...times);
    const to = Math.max(hit.at, ...times);
    if (open !== undefined && hit.at - open.to <= INCIDENT_WINDOW_MS[hit.rule]) {
      for (const id of hit.transactionIds)
        if (!open.transactionIds.includes(id)) open.transactionIds.push(id);
      open.from = Math.min(open.from, from);
      open.to = Math.max(open.to, to);
      return;
    }
    const incident: Incident = {
      rule: hit.rule,
      accountId: hit.accountId,
      transactionIds: [...hit.transactionIds],
      from,
      to,
    };
    this.#incidents.push(incident);
    this.#open.set(key, incident);
  }
}

/** The day's and month's usage as of `at`: what it was, or zero on a new local day or month. */
function usageOn(usage: Usage, at: number): Usage {
  const day = localDayKey(at);
  const month = localMonthKey(at);
  if (day === usage.day && month === usage.month) return usage;
  return {
    day,
    month,
    daySpendMinor: day === usage.day ? usage.daySpendMinor : 0n,
    dayAtmMinor: day === usage.day ? usage.dayAtmMinor : 0n,
    dayTransfersMinor: day === usage.day ? usage.dayTransfersMinor : 0n,
    monthSpendMinor: month === usage.month ? usage.monthSpendMinor : 0n,
  };
}

/** Sum and count of the MXN spends of [at − 30 d, at). */
function totalOf(spends: readonly Spend[], at: number): { sumMinor: bigint; count: number } {
  let sum = 0n;
  let count = 0;
  for (const s of spends) {
    if (s.amountMinor === null || s.at < at - AVERAGE_WINDOW_MS || s.at >= at) continue;
    sum += s.amountMinor;
    count += 1;
  }
  return { sumMinor: sum, count };
}

function emptyAccount(): AccountTruth {
  return {
    spends: [],
    lastSpendAt: -1,
    lastCardPresent: null,
    highRiskPaid: new Set(),
    inflow: null,
    usage: {
      day: 0,
      month: 0,
      daySpendMinor: 0n,
      dayAtmMinor: 0n,
      dayTransfersMinor: 0n,
      monthSpendMinor: 0n,
    },
  };
}

function cloneAccount(account: AccountTruth): AccountTruth {
  return {
    spends: [...account.spends],
    lastSpendAt: account.lastSpendAt,
    lastCardPresent: account.lastCardPresent,
    highRiskPaid: new Set(account.highRiskPaid),
    inflow:
      account.inflow === null
        ? null
        : { ...account.inflow, transactionIds: [...account.inflow.transactionIds] },
    usage: { ...account.usage },
  };
}
