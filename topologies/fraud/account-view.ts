import type { Transaction } from '../transactions/transaction.ts';
import type { AccountActivity, LimitUsage, RecentSpend, SpendKind } from './activity.ts';
import { recentSpendOf, recentWith } from './activity-after.ts';
import type { CalendarDays } from './calendar.ts';
import { EMPTY_PROFILE, type FraudProfile } from './fraud-profile.ts';
import type { EffectiveLimits } from './limits.ts';
import type { RuleInput } from './rule.ts';
import { addToUsage, spendKindOf } from './spend.ts';
import { VelocityProfile, type WindowLabel, type WindowValues } from './velocity.ts';

/** How an AccountView reads the account's state, each only when asked (reads are the cost). */
export interface AccountReads {
  profile(): FraudProfile | undefined;
  limits(): EffectiveLimits;
  available(): Map<string, bigint>;
  calendar(timeZone: string): CalendarDays;
}

/**
 * One transaction and its account as the rules see it (RuleInput). Reads happen on first use: a
 * deposit, a capture or a fee that no rule looks back for reads no profile. A spend is applied at
 * once to copies of the velocity windows, the recent spends and the limit usage.
 */
export class AccountView implements RuleInput {
  readonly transaction: Transaction;
  readonly spend: SpendKind | undefined;
  readonly amountMinor: bigint | undefined;
  readonly currency: string;
  readonly #reads: AccountReads;
  #profile: FraudProfile | undefined;
  #loaded = false;
  #velocity: VelocityProfile | undefined;
  #recent: RecentSpend[] | undefined;
  #usage: LimitUsage | null | undefined;
  #limits: EffectiveLimits | undefined;
  #available: Map<string, bigint> | undefined;
  readonly #windows = new Map<WindowLabel, WindowValues>();

  constructor(
    transaction: Transaction,
    options: { currency: string; streamTime: number; graceMs: number; reads: AccountReads },
  ) {
    this.transaction = transaction;
    this.spend = spendKindOf(transaction);
    this.amountMinor = transaction.currency === options.currency ? transaction.amountMinor : undefined;
    this.currency = options.currency;
    this.#reads = options.reads;
    if (this.spend !== undefined) this.#applySpend(this.spend, options.streamTime, options.graceMs);
  }

  #applySpend(spend: SpendKind, streamTime: number, graceMs: number): void {
    const { transaction, amountMinor } = this;
    const before = this.profile;
    // The store decodes a fresh value on every read: what it handed out is this view's to change
    // (never EMPTY_PROFILE's, which all unseen accounts share).
    const velocity = this.#profile?.velocity ?? new VelocityProfile();
    velocity.add(transaction.eventTime, transaction.channel, amountMinor);
    velocity.prune(streamTime, graceMs);
    this.#velocity = velocity;
    this.#recent = recentWith(
      before.activity.recent,
      recentSpendOf(transaction, spend, amountMinor),
      streamTime,
    );
    this.#usage =
      amountMinor === undefined
        ? before.activity.usage
        : addToUsage(
            before.activity.usage,
            this.#reads.calendar(this.limits.timeZone).of(transaction.eventTime),
            spend,
            amountMinor,
          );
  }

  /** The account's stored profile (an empty one when it has none). */
  get profile(): FraudProfile {
    if (!this.#loaded) {
      this.#profile = this.#reads.profile();
      this.#loaded = true;
    }
    return this.#profile ?? EMPTY_PROFILE;
  }

  window(label: WindowLabel): WindowValues {
    let values = this.#windows.get(label);
    if (values === undefined) {
      values = this.velocity.window(label, this.transaction.eventTime);
      this.#windows.set(label, values);
    }
    return values;
  }

  /** The velocity windows with this transaction (the stored ones when it is not a spend). */
  get velocity(): VelocityProfile {
    return this.#velocity ?? this.profile.velocity;
  }

  get before(): AccountActivity {
    return this.profile.activity;
  }

  get recent(): RecentSpend[] {
    return this.#recent ?? this.profile.activity.recent;
  }

  get usage(): LimitUsage | null {
    return this.#usage === undefined ? this.profile.activity.usage : this.#usage;
  }

  get limits(): EffectiveLimits {
    this.#limits ??= this.#reads.limits();
    return this.#limits;
  }

  get available(): Map<string, bigint> {
    this.#available ??= this.#reads.available();
    return this.#available;
  }
}
