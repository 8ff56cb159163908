import type { Processor, ProcessorContext, StreamRecord } from '../../processor/index.ts';
import type { KeyValueStore, TtlKeyValueStore } from '../../state/index.ts';
import type { AccountBalances } from '../balances/account-balances.ts';
import type { Transaction } from '../transactions/transaction.ts';
import {
  emptyActivity,
  OUTFLOW_IDS_LIMIT,
  RECENT_LIMIT,
  RECENT_SPAN_MS,
  type AccountActivity,
  type RecentSpend,
  type SpendKind,
} from './activity.ts';
import { alertIdOf, type FraudAlert } from './alert.ts';
import { CalendarsByZone } from './calendar.ts';
import { effectiveLimits, type AccountLimits, type EffectiveLimits } from './limits.ts';
import { isCardPresent } from './rules/impossible-travel.ts';
import type { Finding, RuleInput } from './rule.ts';
import type { ConfiguredRule, RuleSet } from './rule-set.ts';
import { addToUsage, isInflow, spendKindOf } from './spend.ts';
import { VELOCITY_WINDOWS, VelocityProfile, type WindowLabel, type WindowValues } from './velocity.ts';

export const VELOCITY_STORE = 'velocity';
export const ACTIVITY_STORE = 'account-activity';
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

const LONGEST_WINDOW_MS = Math.max(...VELOCITY_WINDOWS.map((w) => w.windowMs));

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
  readonly #calendars = new CalendarsByZone();
  #velocity!: TtlKeyValueStore<string, VelocityProfile>;
  #activity!: KeyValueStore<string, AccountActivity>;
  #limits!: KeyValueStore<string, AccountLimits>;
  #balances!: KeyValueStore<string, AccountBalances>;

  constructor(options: FraudOptions) {
    this.#options = options;
    this.#rules = options.ruleSet.rules.filter((rule) => rule.enabled);
  }

  init(ctx: ProcessorContext<string, FraudAlert>): void {
    this.#velocity = ctx.ttlKeyValueStore<string, VelocityProfile>(VELOCITY_STORE);
    this.#activity = ctx.keyValueStore<string, AccountActivity>(ACTIVITY_STORE);
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
    const before = this.#activity.get(accountId) ?? emptyActivity();
    const limits = this.#limitsOf(accountId);

    let velocity: VelocityProfile | undefined;
    let recent = before.recent.filter((s) => s.at > streamTime - RECENT_SPAN_MS);
    let usage = before.usage;
    if (spend !== undefined) {
      velocity = this.#velocity.get(accountId) ?? new VelocityProfile();
      velocity.add(at, transaction.channel, amountMinor);
      velocity.prune(streamTime, graceMs);
      recent = insertRecent(recent, recentSpendOf(transaction, spend, amountMinor));
      if (amountMinor !== undefined) {
        usage = addToUsage(usage, this.#calendars.get(limits.timeZone).of(at), spend, amountMinor);
      }
    }

    const windows = new Map<WindowLabel, WindowValues>();
    const input: RuleInput = {
      transaction,
      spend,
      amountMinor,
      currency: ruleSet.currency,
      window: (label) => {
        let values = windows.get(label);
        if (values === undefined) {
          values = (velocity ?? this.#velocity.get(accountId) ?? new VelocityProfile()).window(label, at);
          windows.set(label, values);
        }
        return values;
      },
      before,
      recent,
      usage,
      limits,
      available: this.#availableOf(accountId),
    };

    const lastAlertAt = new Map(before.lastAlertAt);
    let alerted = false;
    for (const configured of this.#rules) {
      const finding = configured.rule.evaluate(input, configured.parameters);
      if (finding === undefined) continue;
      const last = lastAlertAt.get(configured.id);
      if (last !== undefined && at - last < configured.cooldownMs) continue;
      lastAlertAt.set(configured.id, last === undefined ? at : Math.max(last, at));
      alerted = true;
      ctx.forward({ key: accountId, value: this.#alertOf(configured, transaction, finding, ctx.now()) });
      this.#options.observer?.alert(configured.id, configured.severity);
    }

    const after = this.#nextActivity(before, transaction, spend, amountMinor, recent, usage, lastAlertAt);
    if (after !== before || alerted) this.#activity.put(accountId, after);
    if (velocity !== undefined) {
      this.#velocity.put(accountId, velocity, velocity.lastBucketEndMs + LONGEST_WINDOW_MS + graceMs);
    }
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

  /** The account's activity after the transaction: the same object when nothing changed. */
  #nextActivity(
    before: AccountActivity,
    transaction: Transaction,
    spend: SpendKind | undefined,
    amountMinor: bigint | undefined,
    recent: RecentSpend[],
    usage: AccountActivity['usage'],
    lastAlertAt: Map<string, number>,
  ): AccountActivity {
    const { ruleSet } = this.#options;
    const at = transaction.eventTime;
    if (spend === undefined) {
      const watched = ruleSet.watchedInflowMinor;
      if (
        !isInflow(transaction) ||
        watched === undefined ||
        amountMinor === undefined ||
        amountMinor < watched
      ) {
        return lastAlertAt.size === before.lastAlertAt.size &&
          [...lastAlertAt].every(([k, v]) => before.lastAlertAt.get(k) === v)
          ? before
          : { ...before, lastAlertAt };
      }
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
