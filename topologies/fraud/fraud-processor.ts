import type { Processor, ProcessorContext, StreamRecord } from '../../processor/index.ts';
import type { KeyValueStore } from '../../state/index.ts';
import type { AccountBalances } from '../balances/account-balances.ts';
import type { Transaction } from '../transactions/transaction.ts';
import {
  OUTFLOW_IDS_LIMIT,
  RECENT_LIMIT,
  RECENT_SPAN_MS,
  type AccountActivity,
  type LimitUsage,
  type RecentSpend,
  type SpendKind,
} from './activity.ts';
import { EMPTY_PROFILE, type FraudProfile } from './fraud-profile.ts';
import { alertIdOf, type FraudAlert } from './alert.ts';
import { CalendarsByZone } from './calendar.ts';
import { effectiveLimits, type AccountLimits, type EffectiveLimits } from './limits.ts';
import { isCardPresent } from './rules/impossible-travel.ts';
import type { Finding, RuleInput } from './rule.ts';
import type { ConfiguredRule, RuleSet } from './rule-set.ts';
import { addToUsage, isInflow, spendKindOf } from './spend.ts';
import type { VelocityProfile, WindowLabel, WindowValues } from './velocity.ts';

/** Each account's velocity windows and activity (one store: one read and one write per spend). */
export const PROFILES_STORE = 'fraud-profiles';
export const LIMITS_STORE = 'account-limits';

/** What the fraud processor reports besides its alerts (metrics, in `saldo run`). */
export interface FraudObserver {
  /** A transaction older than stream time − grace: it changed the balance, not the windows. */
  lateRecord(): void;
  alert(ruleId: string, severity: string): void;
}

export interface FraudOptions {
  ruleSet: RuleSet;
  /** How late (behind stream time) a transaction may be and still count in its windows. */
  graceMs: number;
  /** The balances store: overdraft reads the balance a transaction left. */
  balancesStore: string;
  observer?: FraudObserver;
}

/**
 * The fraud half of the product: beside `balances`, after it, on every admitted transaction.
 * Keeps each account's velocity windows and activity, reads its limits (the account-limits
 * table) and its balances, runs the enabled rules of the rule set and emits one alert per
 * finding, at most one per rule and account within the rule's cooldown (event time, so a replay
 * raises the same alerts with the same ids).
 */
export class FraudProcessor implements Processor<string, Transaction, string, FraudAlert> {
  readonly #options: FraudOptions;
  readonly #rules: ConfiguredRule[];
  readonly #calendars: CalendarsByZone;
  #profiles!: KeyValueStore<string, FraudProfile>;
  #limits!: KeyValueStore<string, AccountLimits>;
  #balances!: KeyValueStore<string, AccountBalances>;

  constructor(options: FraudOptions) {
    this.#options = options;
    this.#rules = options.ruleSet.rules.filter((rule) => rule.enabled);
    this.#calendars = new CalendarsByZone(options.ruleSet.limitDefaults?.timeZone ?? DEFAULT_TIME_ZONE);
  }

  init(ctx: ProcessorContext<string, FraudAlert>): void {
    this.#profiles = ctx.keyValueStore<string, FraudProfile>(PROFILES_STORE);
    this.#limits = ctx.keyValueStore<string, AccountLimits>(LIMITS_STORE);
    this.#balances = ctx.keyValueStore<string, AccountBalances>(this.#options.balancesStore);
  }

  process(record: StreamRecord<string, Transaction>, ctx: ProcessorContext<string, FraudAlert>): void {
    const transaction = record.value;
    if (transaction === null) return;
    const { ruleSet, graceMs } = this.#options;
    const at = transaction.eventTime;
    const streamTime = ctx.streamTime;
    if (at < streamTime - graceMs) {
      this.#options.observer?.lateRecord();
      return;
    }
    const { accountId } = transaction;
    const spend = spendKindOf(transaction);
    const amountMinor = transaction.currency === ruleSet.currency ? transaction.amountMinor : undefined;
    // Reads are the cost of this processor (cold accounts miss the cache): the profile, the
    // limits and the balances are read only when the transaction needs them.
    let stored: FraudProfile | undefined;
    let loaded = false;
    const profile = (): FraudProfile => {
      if (!loaded) {
        stored = this.#profiles.get(accountId);
        loaded = true;
      }
      return stored ?? EMPTY_PROFILE;
    };
    let velocity: VelocityProfile | undefined;
    let recent: RecentSpend[] | undefined;
    let usage: LimitUsage | null | undefined;
    let limits: EffectiveLimits | undefined;
    if (spend !== undefined) {
      const before = profile();
      velocity = before.velocity.copy();
      velocity.add(at, transaction.channel, amountMinor);
      velocity.prune(streamTime, graceMs);
      recent = insertRecent(
        before.activity.recent.filter((s) => s.at > streamTime - RECENT_SPAN_MS),
        recentSpendOf(transaction, spend, amountMinor),
      );
      usage = before.activity.usage;
      if (amountMinor !== undefined) {
        limits = this.#limitsOf(accountId);
        usage = addToUsage(usage, this.#calendars.get(limits.timeZone).of(at), spend, amountMinor);
      }
    }

    const windows = new Map<WindowLabel, WindowValues>();
    const limitsNow = (): EffectiveLimits => (limits ??= this.#limitsOf(accountId));
    const availableNow = (): Map<string, bigint> => this.#availableOf(accountId);
    const input: RuleInput = {
      transaction,
      spend,
      amountMinor,
      currency: ruleSet.currency,
      window: (label) => {
        let values = windows.get(label);
        if (values === undefined) {
          values = (velocity ?? profile().velocity).window(label, at);
          windows.set(label, values);
        }
        return values;
      },
      get before() {
        return profile().activity;
      },
      get recent() {
        return recent ?? profile().activity.recent;
      },
      get usage() {
        return usage === undefined ? profile().activity.usage : usage;
      },
      get limits() {
        return limitsNow();
      },
      get available() {
        return availableNow();
      },
    };

    let lastAlertAt: Map<string, number> | undefined;
    for (const configured of this.#rules) {
      const finding = configured.rule.evaluate(input, configured.parameters);
      if (finding === undefined) continue;
      lastAlertAt ??= new Map(profile().activity.lastAlertAt);
      const last = lastAlertAt.get(configured.id);
      if (last !== undefined && at - last < configured.cooldownMs) continue;
      lastAlertAt.set(configured.id, last === undefined ? at : Math.max(last, at));
      ctx.forward({ key: accountId, value: this.#alertOf(configured, transaction, finding, ctx.now()) });
      this.#options.observer?.alert(configured.id, configured.severity);
    }

    const watched = ruleSet.watchedInflowMinor;
    const watchInflow =
      isInflow(transaction) && watched !== undefined && amountMinor !== undefined && amountMinor >= watched;
    if (spend === undefined && !watchInflow && lastAlertAt === undefined) return;
    const before = profile();
    const activity = this.#nextActivity(before.activity, transaction, spend, amountMinor, {
      recent: recent ?? before.activity.recent,
      usage: usage === undefined ? before.activity.usage : usage,
      lastAlertAt: lastAlertAt ?? before.activity.lastAlertAt,
      watchInflow,
    });
    this.#profiles.put(accountId, { velocity: velocity ?? before.velocity, activity });
  }

  #limitsOf(accountId: string): EffectiveLimits {
    const { ruleSet } = this.#options;
    const defaults = ruleSet.limitDefaults;
    if (defaults === undefined) {
      return { tier: 'N2', limits: NO_LIMITS, overridden: new Set(), timeZone: DEFAULT_TIME_ZONE };
    }
    return effectiveLimits(this.#limits.get(accountId), { ...defaults, currency: ruleSet.currency });
  }

  #availableOf(accountId: string): Map<string, bigint> {
    const available = new Map<string, bigint>();
    const account = this.#balances.get(accountId);
    if (account !== undefined) {
      for (const [currency, position] of account.positions)
        available.set(currency, position.ledgerMinor - position.heldMinor);
    }
    return available;
  }

  /** The account's activity after the transaction. */
  #nextActivity(
    before: AccountActivity,
    transaction: Transaction,
    spend: SpendKind | undefined,
    amountMinor: bigint | undefined,
    changed: {
      recent: RecentSpend[];
      usage: LimitUsage | null;
      lastAlertAt: Map<string, number>;
      watchInflow: boolean;
    },
  ): AccountActivity {
    const { ruleSet } = this.#options;
    const at = transaction.eventTime;
    const { recent, usage, lastAlertAt } = changed;
    if (spend === undefined) {
      if (!changed.watchInflow || amountMinor === undefined) return { ...before, lastAlertAt };
      return {
        ...before,
        lastAlertAt,
        inflow: {
          at,
          amountMinor,
          transactionId: transaction.transactionId,
          outflowMinor: 0n,
          outflowTransactionIds: [],
        },
      };
    }
    const location = transaction.location;
    const previousPlace = before.lastCardPresent;
    const mcc = transaction.merchant?.mcc;
    const inflow = before.inflow;
    return {
      lastSpendAt: Math.max(before.lastSpendAt, at),
      lastCardPresent:
        location !== null &&
        isCardPresent(transaction.channel) &&
        (previousPlace === null || at >= previousPlace.at)
          ? {
              at,
              lat: location.lat,
              lon: location.lon,
              country: location.country,
              transactionId: transaction.transactionId,
            }
          : previousPlace,
      recent,
      highRiskMccs:
        transaction.type === 'AUTHORIZATION' &&
        mcc !== undefined &&
        ruleSet.highRiskMccs.includes(mcc) &&
        !before.highRiskMccs.includes(mcc)
          ? [...before.highRiskMccs, mcc]
          : before.highRiskMccs,
      inflow:
        inflow !== null && amountMinor !== undefined && at >= inflow.at
          ? {
              ...inflow,
              outflowMinor: inflow.outflowMinor + amountMinor,
              outflowTransactionIds: [...inflow.outflowTransactionIds, transaction.transactionId].slice(
                -OUTFLOW_IDS_LIMIT,
              ),
            }
          : inflow,
      usage,
      lastAlertAt,
    };
  }

  #alertOf(configured: ConfiguredRule, transaction: Transaction, finding: Finding, now: number): FraudAlert {
    const ids = finding.transactionIds.filter((id) => id !== transaction.transactionId);
    ids.push(transaction.transactionId);
    return {
      alertId: alertIdOf(configured.id, configured.version, transaction.accountId, transaction.transactionId),
      accountId: transaction.accountId,
      ruleId: configured.id,
      ruleVersion: configured.version,
      ruleSetVersion: this.#options.ruleSet.version,
      severity: configured.severity,
      score: Math.round(finding.score),
      transactionId: transaction.transactionId,
      transactionIds: [...new Set(ids)],
      evidence: finding.evidence.map((e) => ({ ...e })),
      summary: finding.summary,
      eventTime: transaction.eventTime,
      detectedAt: now,
    };
  }
}

const DEFAULT_TIME_ZONE = 'America/Mexico_City';
/** Without a limit-breach rule configured, nothing is limited. */
const NO_LIMITS = {
  perTransactionMinor: BigInt(Number.MAX_SAFE_INTEGER),
  dailySpendMinor: BigInt(Number.MAX_SAFE_INTEGER),
  dailyAtmMinor: BigInt(Number.MAX_SAFE_INTEGER),
  monthlySpendMinor: BigInt(Number.MAX_SAFE_INTEGER),
  dailyTransfersMinor: BigInt(Number.MAX_SAFE_INTEGER),
};

function recentSpendOf(
  transaction: Transaction,
  kind: SpendKind,
  amountMinor: bigint | undefined,
): RecentSpend {
  return {
    at: transaction.eventTime,
    kind,
    channel: transaction.channel,
    amountMinor: amountMinor ?? null,
    merchantId: transaction.merchant?.id ?? null,
    city: transaction.location?.city ?? null,
    transactionId: transaction.transactionId,
  };
}

/** Adds a spend in event-time order, keeping the RECENT_LIMIT latest. */
function insertRecent(recent: RecentSpend[], spend: RecentSpend): RecentSpend[] {
  const next = [...recent];
  let at = next.length;
  while (at > 0 && (next[at - 1] as RecentSpend).at > spend.at) at--;
  next.splice(at, 0, spend);
  return next.length > RECENT_LIMIT ? next.slice(next.length - RECENT_LIMIT) : next;
}
