import type { KeyValueStoreRef, Processor, ProcessorContext, StreamRecord } from '../../processor/index.ts';
import type { KeyValueStore } from '../../state/index.ts';
import { emptyAccountBalances, type AccountBalances } from '../balances/account-balances.ts';
import type { Transaction } from '../transactions/transaction.ts';
import { AccountView } from './account-view.ts';
import { activityAfter, watchesInflow } from './activity-after.ts';
import { alertIdOf, type FraudAlert } from './alert.ts';
import { CalendarsByZone } from './calendar.ts';
import { fraudProfileSerde, type FraudProfile } from './fraud-profile.ts';
import { effectiveLimits, type AccountLimits, type EffectiveLimits } from './limits.ts';
import type { Finding } from './rule.ts';
import type { ConfiguredRule, RuleSet } from './rule-set.ts';

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
  /** The account-limits table's store, by accountId (read-only). */
  limits: KeyValueStoreRef<string, AccountLimits>;
  /**
   * The balances store, by accountId: each account's record holds its fraud profile (velocity
   * windows and activity) beside the balances, which overdraft reads as the transaction left them.
   */
  balances: KeyValueStoreRef<string, AccountBalances>;
  observer?: FraudObserver;
}

/**
 * The fraud half of the product: beside `balances`, after it, on every admitted transaction.
 * Keeps each account's velocity windows and activity in the account's record of the balances
 * store (read once for profile and balances), reads its limits (the account-limits table), runs the enabled rules of the rule set and emits one alert per
 * finding, at most one per rule and account within the rule's cooldown (event time, so a replay
 * raises the same alerts with the same ids).
 */
export class FraudProcessor implements Processor<string, Transaction, string, FraudAlert> {
  readonly #options: FraudOptions;
  readonly #rules: ConfiguredRule[];
  readonly #calendars: CalendarsByZone;
  #limits!: KeyValueStore<string, AccountLimits>;
  #balances!: KeyValueStore<string, AccountBalances>;

  constructor(options: FraudOptions) {
    this.#options = options;
    this.#rules = options.ruleSet.rules.filter((rule) => rule.enabled);
    this.#calendars = new CalendarsByZone(options.ruleSet.limitDefaults?.timeZone ?? DEFAULT_TIME_ZONE);
  }

  init(ctx: ProcessorContext<string, FraudAlert>): void {
    this.#limits = ctx.store(this.#options.limits);
    this.#balances = ctx.store(this.#options.balances);
  }

  process(record: StreamRecord<string, Transaction>, ctx: ProcessorContext<string, FraudAlert>): void {
    const transaction = record.value;
    if (transaction === null) return;
    const { ruleSet, graceMs } = this.#options;
    const streamTime = ctx.streamTime;
    if (transaction.eventTime < streamTime - graceMs) {
      this.#options.observer?.lateRecord();
      return;
    }
    const { accountId } = transaction;
    // Read on first use, once for the profile and the balances (the balances processor has just
    // written it: the task's write buffer answers).
    let account: AccountBalances | null | undefined;
    const accountRecord = (): AccountBalances | null => {
      if (account === undefined) account = this.#balances.get(accountId) ?? null;
      return account;
    };
    const view = new AccountView(transaction, {
      currency: ruleSet.currency,
      streamTime,
      graceMs,
      reads: {
        profile: () => profileOf(accountRecord()),
        limits: () => this.#limitsOf(accountId),
        available: () => availableOf(accountRecord()),
        calendar: (zone) => this.#calendars.get(zone),
      },
    });
    const lastAlertAt = this.#raiseAlerts(view, ctx);
    const watch = watchesInflow(transaction, view.amountMinor, ruleSet);
    if (view.spend === undefined && lastAlertAt === undefined && !watch) return;
    const before = view.profile;
    const activity = activityAfter(before.activity, transaction, ruleSet, {
      spend: view.spend,
      amountMinor: view.amountMinor,
      recent: view.recent,
      usage: view.usage,
      lastAlertAt: lastAlertAt ?? before.activity.lastAlertAt,
    });
    const stored = accountRecord() ?? emptyAccountBalances();
    stored.fraudProfileBytes = fraudProfileSerde.serialize({ velocity: view.velocity, activity });
    this.#balances.put(accountId, stored);
  }

  /**
   * Runs the enabled rules; forwards an alert for each finding outside its rule's cooldown.
   * Returns the account's alert times when a rule fired (to store), undefined when none did.
   */
  #raiseAlerts(
    view: AccountView,
    ctx: ProcessorContext<string, FraudAlert>,
  ): Map<string, number> | undefined {
    const { transaction } = view;
    const at = transaction.eventTime;
    let lastAlertAt: Map<string, number> | undefined;
    for (const configured of this.#rules) {
      const finding = configured.rule.evaluate(view, configured.parameters);
      if (finding === undefined) continue;
      lastAlertAt ??= new Map(view.before.lastAlertAt);
      const last = lastAlertAt.get(configured.id);
      if (last !== undefined && at - last < configured.cooldownMs) continue;
      lastAlertAt.set(configured.id, last === undefined ? at : Math.max(last, at));
      ctx.forward({
        key: transaction.accountId,
        value: this.#alertOf(configured, transaction, finding, ctx.now()),
      });
      this.#options.observer?.alert(configured.id, configured.severity);
    }
    return lastAlertAt;
  }

  #limitsOf(accountId: string): EffectiveLimits {
    const { ruleSet } = this.#options;
    const defaults = ruleSet.limitDefaults;
    if (defaults === undefined) {
      return { tier: 'N2', limits: NO_LIMITS, overridden: new Set(), timeZone: DEFAULT_TIME_ZONE };
    }
    return effectiveLimits(this.#limits.get(accountId), { ...defaults, currency: ruleSet.currency });
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

/** The account's fraud profile, undefined before its first spend. */
function profileOf(account: AccountBalances | null): FraudProfile | undefined {
  const bytes = account?.fraudProfileBytes ?? null;
  return bytes === null ? undefined : fraudProfileSerde.deserialize(bytes);
}

/** Available (ledger − held) per currency, as the balances processor left the account. */
function availableOf(account: AccountBalances | null): Map<string, bigint> {
  const available = new Map<string, bigint>();
  if (account !== null) {
    for (const [currency, position] of account.positions)
      available.set(currency, position.ledgerMinor - position.heldMinor);
  }
  return available;
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
