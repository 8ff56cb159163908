/**
 * Plans the next story of an account from its spending profile: its first is always a salary,
 * so that a fresh account has money before it spends; a payment it cannot afford becomes a top-up.
 */
import type { TransactionType } from '../../topologies/transactions/transaction.ts';
import type { AccountState, FundedCurrency } from './accounts.ts';
import { planCardPayment } from './card-payments.ts';
import {
  ATM_OPERATORS,
  FOREIGN_CATEGORIES,
  ONLINE_CATEGORIES,
  POS_CATEGORIES,
  type MerchantCategory,
} from './catalog.ts';
import type { StoryKind } from './profiles.ts';
import type { SeededRandom } from './random.ts';
import {
  NO_CARD,
  RecordFactory,
  anyCentsMinor,
  locationIn,
  priceMinor,
  type RecordDetails,
} from './records.ts';
import { SETTLEMENT_DELAY, single, type PlanningContext, type StoryStep } from './story.ts';
import { cityAt } from './life.ts';
import { isQuincena } from './timeline.ts';

const CREDITS: ReadonlySet<TransactionType> = new Set(['DEPOSIT', 'TRANSFER_IN', 'REFUND', 'CHARGEBACK']);

const BY_TRANSFER: RecordDetails = { channel: 'TRANSFER', authorizationId: null, ...NO_CARD };
const BY_APP: RecordDetails = { channel: 'APP', authorizationId: null, ...NO_CARD };

/** Chargebacks are disputes of card-not-present purchases: parcels that never came, flights. */
const DISPUTED = [ONLINE_CATEGORIES.marketplace, ONLINE_CATEGORIES.airline];
/** Another bank's ATM charges a fee, paid through the app, for about a third of withdrawals. */
const ATM_FEE_RATE = 0.3;

export class StoryPlanner {
  readonly #context: PlanningContext;

  constructor(random: SeededRandom, seed: number) {
    this.#context = { random, records: new RecordFactory(seed) };
  }

  /** What stories are planned with (the traffic sets `now` in runs with realistic event time). */
  get context(): PlanningContext {
    return this.#context;
  }

  /** Payroll now (a quincena's, in runs with realistic event time). */
  payroll(account: AccountState): StoryStep[] {
    account.started = true;
    return this.#salary(account);
  }

  /** Cash paid in at a store, now. */
  topUp(account: AccountState): StoryStep[] {
    return this.#topUp(account);
  }

  /** Transaction ids handed out so far. */
  get planned(): number {
    return this.#context.records.issued;
  }

  /** The account's next story: a salary first, then whatever its profile draws. */
  next(account: AccountState): StoryStep[] {
    if (!account.started) {
      account.started = true;
      return this.#salary(account);
    }
    return this.#plan(account, account.profile.stories.pick(this.#context.random));
  }

  #plan(account: AccountState, kind: StoryKind): StoryStep[] {
    const { random } = this.#context;
    const profile = account.profile;
    switch (kind) {
      case 'salary':
        // With realistic event time payroll comes on quincenas; other days it is a client paying.
        if (this.#context.now !== undefined && !isQuincena(this.#context.now)) {
          return this.#move(account, 'TRANSFER_IN', 'MXN', anyCentsMinor(random, 500, 8_000), BY_TRANSFER);
        }
        return this.#salary(account);
      case 'topUp':
        return this.#topUp(account);
      case 'storePurchase':
        return this.#pay(account, POS_CATEGORIES[profile.storeCategories.pick(random)]);
      case 'onlinePurchase':
        return this.#pay(account, ONLINE_CATEGORIES[profile.onlineCategories.pick(random)]);
      case 'foreignPurchase':
        return this.#pay(account, random.pick(FOREIGN_CATEGORIES));
      case 'atmWithdrawal':
        return this.#atmWithdrawal(account);
      case 'transferOut':
        return this.#debit(account, 'TRANSFER_OUT', anyCentsMinor(random, 100, 12_000), BY_TRANSFER);
      case 'transferIn':
        return this.#move(account, 'TRANSFER_IN', 'MXN', anyCentsMinor(random, 100, 15_000), BY_TRANSFER);
      case 'fee':
        return this.#debit(account, 'FEE', priceMinor(random, 10, 99), BY_APP);
      case 'refund':
        return this.#merchantCredit(account, 'REFUND', this.#refundCategory(account));
      case 'chargeback':
        return this.#merchantCredit(account, 'CHARGEBACK', random.pick(DISPUTED));
    }
  }

  /** Payroll by SPEI transfer. */
  #salary(account: AccountState): StoryStep[] {
    const [min, max] = account.profile.salaryMajor;
    return this.#move(account, 'DEPOSIT', 'MXN', anyCentsMinor(this.#context.random, min, max), BY_TRANSFER);
  }

  /** Cash paid in at a store, credited through the app: hundreds of pesos. */
  #topUp(account: AccountState): StoryStep[] {
    // Below 5,000 pesos with realistic event time: a top-up is no inflow a rapid drain watches.
    const most = this.#context.now === undefined ? 50 : 49;
    const amountMinor = BigInt(this.#context.random.between(3, most)) * 10_000n;
    return this.#move(account, 'DEPOSIT', 'MXN', amountMinor, BY_APP);
  }

  /** Dollars come in by transfer (a client abroad pays) before any are spent. */
  #dollarsIn(account: AccountState): StoryStep[] {
    return this.#move(
      account,
      'TRANSFER_IN',
      'USD',
      anyCentsMinor(this.#context.random, 100, 1_500),
      BY_TRANSFER,
    );
  }

  #pay(account: AccountState, category: MerchantCategory): StoryStep[] {
    const steps = planCardPayment(this.#context, account, category);
    if (steps !== null) return steps;
    return category.currency === 'USD' ? this.#dollarsIn(account) : this.#topUp(account);
  }

  /** Cash from an ATM (bills: whole hundreds of pesos), sometimes with the other bank's fee. */
  #atmWithdrawal(account: AccountState): StoryStep[] {
    const { random, records } = this.#context;
    const [min, max] = account.profile.atmHundreds;
    const amountMinor = BigInt(random.between(min, max)) * 10_000n;
    if (amountMinor > account.spendable.MXN) return this.#topUp(account);
    const now = this.#context.now;
    const city = now === undefined ? account.home : cityAt(account, now);
    if (city === null) return this.#pay(account, ONLINE_CATEGORIES.marketplace);
    // With realistic event time, room for the other bank's fee: no overdraft.
    if (now !== undefined && amountMinor + 4_000n > account.spendable.MXN) return this.#topUp(account);
    account.spendable.MXN -= amountMinor;
    const atm: RecordDetails = {
      channel: 'ATM',
      cardId: account.cardId,
      merchant: random.pick(ATM_OPERATORS),
      location: locationIn(random, city),
      authorizationId: null,
    };
    const steps = single(records.record(account, 'WITHDRAWAL', amountMinor, 'MXN', atm));
    if (random.chance(ATM_FEE_RATE)) {
      const fee = priceMinor(random, 25, 35);
      account.spendable.MXN -= fee;
      const delay = random.between(SETTLEMENT_DELAY[0], SETTLEMENT_DELAY[1]);
      steps.push({ record: records.record(account, 'FEE', fee, 'MXN', BY_APP), delay, late: false });
    }
    return steps;
  }

  #debit(account: AccountState, type: TransactionType, amountMinor: bigint, details: RecordDetails) {
    if (amountMinor > account.spendable.MXN) return this.#topUp(account);
    return this.#move(account, type, 'MXN', amountMinor, details);
  }

  /** A refund or chargeback: money back from a merchant the card paid. */
  #merchantCredit(account: AccountState, type: TransactionType, category: MerchantCategory): StoryStep[] {
    const { random } = this.#context;
    const details: RecordDetails = {
      channel: category.channel,
      cardId: account.cardId,
      merchant: random.pick(category.merchants),
      location:
        category.channel === 'POS'
          ? locationIn(
              random,
              this.#context.now === undefined
                ? account.home
                : (cityAt(account, this.#context.now) ?? account.home),
            )
          : null,
      authorizationId: null,
    };
    const amountMinor = priceMinor(random, category.minMajor, category.maxMajor);
    return this.#move(account, type, 'MXN', amountMinor, details);
  }

  /** Refunds come mostly from online shops, now and then from a store. */
  #refundCategory(account: AccountState): MerchantCategory {
    const { random } = this.#context;
    return random.chance(0.7)
      ? ONLINE_CATEGORIES[account.profile.onlineCategories.pick(random)]
      : POS_CATEGORIES[account.profile.storeCategories.pick(random)];
  }

  /** One record that moves the ledger, due at once. */
  #move(
    account: AccountState,
    type: TransactionType,
    currency: FundedCurrency,
    amountMinor: bigint,
    details: RecordDetails,
  ): StoryStep[] {
    account.spendable[currency] += CREDITS.has(type) ? amountMinor : -amountMinor;
    return single(this.#context.records.record(account, type, amountMinor, currency, details));
  }
}
