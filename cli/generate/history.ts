/**
 * The history prelude: what each account did in the months before the live traffic, sent first (in
 * event-time order, as fast as the sink takes it) so that the rules that look back have something
 * to look at — 30-day averages, 90 days of dormancy, categories paid before. A few records per
 * account and month: payroll on quincenas, card payments captured a few hours or days later (no
 * hold stays open), ATM withdrawals, transfers. By role:
 *
 * - new: no history (customers who just joined);
 * - regular: active until shortly before the live traffic;
 * - quiet: last spent 30–80 days before it (a near miss for dormancy: not 90 days);
 * - dormant: last spent more than 100 days before it (the dormant-reactivation incidents' accounts).
 *
 * Every spend is checked against the definitions first and left out if it would exhibit one, so
 * the history holds no incident.
 */
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import type { AccountState } from './accounts.ts';
import { ONLINE_CATEGORIES, POS_CATEGORIES, type MerchantCategory } from './catalog.ts';
import type { RuleId } from './definitions.ts';
import { BY_APP, BY_TRANSFER, atmIn, cardAt, lifeOf, timedCardPayment, timedStep } from './life.ts';
import { anyCentsMinor, priceMinor } from './records.ts';
import type { PlanningContext, StoryStep } from './story.ts';
import { DAY_MS, HOUR_MS, isQuincena, localMidnight, localTime } from './timeline.ts';
import { TimeQueue } from './time-queue.ts';

export interface HistoryOptions {
  /** Event time the live traffic starts at: the history ends before it. */
  startTime: number;
  days: number;
  /** What a record would exhibit now (DefinitionsDetector.probe). */
  probe: (records: readonly TransactionRecord[]) => RuleId[];
}

type HistoryEvent =
  | { kind: 'record'; record: TransactionRecord }
  | { kind: 'activity'; account: AccountState; until: number }
  | { kind: 'payroll'; account: AccountState; until: number };

/** Mean days between an account's everyday activities in its history, by profile. */
const MEAN_GAP_DAYS: Record<AccountState['profile']['name'], number> = {
  salaried: 3.5,
  student: 4,
  merchant: 3,
  cash: 5,
};

export class HistoryPrelude {
  readonly #context: PlanningContext;
  readonly #options: HistoryOptions;
  readonly #queue = new TimeQueue<HistoryEvent>();

  constructor(context: PlanningContext, accounts: readonly AccountState[], options: HistoryOptions) {
    this.#context = context;
    this.#options = options;
    const { random } = context;
    const begin = options.startTime - options.days * DAY_MS;
    for (const account of accounts) {
      const life = lifeOf(account);
      if (life.history === 'new') continue;
      const opened =
        life.history === 'dormant'
          ? begin + random.fraction() * 3 * DAY_MS
          : begin + random.fraction() * 0.3 * options.days * DAY_MS;
      const until =
        life.history === 'regular'
          ? options.startTime - HOUR_MS
          : life.history === 'quiet'
            ? options.startTime - (30 + random.fraction() * 50) * DAY_MS
            : options.startTime - (101 + random.fraction() * 6) * DAY_MS;
      if (until <= opened + DAY_MS) continue;
      const at = Math.floor(opened);
      // The first payroll opens the account; more come on quincenas while it is active.
      this.#queue.add(at, { kind: 'payroll', account, until: Math.floor(until) });
      this.#queue.add(at + 2 * HOUR_MS, { kind: 'activity', account, until: Math.floor(until) });
      account.started = true;
    }
  }

  /** The next history record in event-time order; undefined once the history is over. */
  next(): TransactionRecord | undefined {
    for (;;) {
      const at = this.#queue.peekTime();
      const event = this.#queue.take();
      if (event === undefined) return undefined;
      if (event.kind === 'record') return event.record;
      if (event.kind === 'payroll') this.#payroll(event.account, at, event.until);
      else this.#activity(event.account, at, event.until);
    }
  }

  #schedule(steps: readonly StoryStep[]): void {
    for (const step of steps)
      this.#queue.add(step.at ?? step.record.eventTime, { kind: 'record', record: step.record });
  }

  #payroll(account: AccountState, at: number, until: number): void {
    const [min, max] = account.profile.salaryMajor;
    this.#schedule([
      timedStep(
        this.#context,
        account,
        'DEPOSIT',
        anyCentsMinor(this.#context.random, min, max),
        BY_TRANSFER,
        at,
      ),
    ]);
    const next = nextQuincenaMorning(at, this.#context.random.fraction());
    if (next < until) this.#queue.add(next, { kind: 'payroll', account, until });
  }

  #activity(account: AccountState, at: number, until: number): void {
    const { random } = this.#context;
    const when = daytime(at, random.fraction());
    if (when !== at) {
      // Checked against the definitions when it happens, not before.
      if (when < until) this.#queue.add(when, { kind: 'activity', account, until });
      return;
    }
    const steps = this.#everyday(account, at);
    if (steps.length > 0 && this.#options.probe(spends(steps)).length === 0) this.#schedule(steps);
    else this.#undo(account, steps);
    // Sparse months ago, denser in the last month (the 30-day averages need a few spends).
    const recent = at > this.#options.startTime - 35 * DAY_MS || lifeOf(account).history === 'dormant';
    const meanDays = MEAN_GAP_DAYS[account.profile.name] * (recent ? 1 : 2.5);
    const gap = -Math.log(1 - random.fraction()) * meanDays * DAY_MS;
    const next = Math.floor(at + Math.max(HOUR_MS, gap));
    if (next < until) this.#queue.add(next, { kind: 'activity', account, until });
  }

  /** One everyday thing at `at`: a card payment (mostly), a withdrawal or a transfer. */
  #everyday(account: AccountState, at: number): StoryStep[] {
    const { random } = this.#context;
    const roll = random.fraction();
    if (roll < 0.7) {
      const category: MerchantCategory = random.chance(0.7)
        ? POS_CATEGORIES[account.profile.storeCategories.pick(random)]
        : ONLINE_CATEGORIES[account.profile.onlineCategories.pick(random)];
      // Kept simple in the history: every payment captured as authorized.
      const price = priceMinor(random, category.minMajor, Math.min(category.maxMajor, 2_500));
      if (price * 2n > account.spendable.MXN) return [];
      const captureAt = Math.min(
        at + HOUR_MS + Math.floor(random.fraction() * 3 * DAY_MS),
        this.#options.startTime - HOUR_MS,
      );
      return timedCardPayment(
        this.#context,
        account,
        cardAt(random, account, category, account.home),
        price,
        at,
        Math.max(at + 1, captureAt),
      );
    }
    if (roll < 0.85) {
      const [min, max] = account.profile.atmHundreds;
      const amountMinor = BigInt(random.between(min, Math.min(max, 30))) * 10_000n;
      if (amountMinor * 2n > account.spendable.MXN) return [];
      return [
        timedStep(
          this.#context,
          account,
          'WITHDRAWAL',
          amountMinor,
          atmIn(random, account, account.home),
          at,
        ),
      ];
    }
    const amountMinor = anyCentsMinor(random, 100, 4_000);
    if (amountMinor * 2n > account.spendable.MXN) return [];
    return [
      timedStep(
        this.#context,
        account,
        'TRANSFER_OUT',
        amountMinor,
        random.chance(0.5) ? BY_TRANSFER : BY_APP,
        at,
      ),
    ];
  }

  /** Gives back what steps that are not sent took from the account. */
  #undo(account: AccountState, steps: readonly StoryStep[]): void {
    for (const { record } of steps) {
      if (record.type === 'AUTHORIZATION' || record.type === 'WITHDRAWAL' || record.type === 'TRANSFER_OUT') {
        account.spendable.MXN += record.amountMinor;
      }
    }
  }
}

/** The steps' records that spend (their captures are not spends, and come later). */
function spends(steps: readonly StoryStep[]): TransactionRecord[] {
  return steps.filter((step) => step.record.type !== 'CAPTURE').map((step) => step.record);
}

/** Moves a time in the small hours to later that day (8 a.m. to 9 p.m.): people sleep. */
function daytime(at: number, fraction: number): number {
  const { hour } = localTime(at);
  if (hour >= 8 && hour < 22) return at;
  const midnight = localMidnight(at) + (hour >= 22 ? DAY_MS : 0);
  return Math.floor(midnight + 8 * HOUR_MS + fraction * 13 * HOUR_MS);
}

/** The next quincena after `at`, between 5 and 9 a.m. (payroll runs overnight). */
export function nextQuincenaMorning(at: number, fraction: number): number {
  let day = localMidnight(at) + DAY_MS;
  while (!isQuincena(day + 12 * HOUR_MS)) day += DAY_MS;
  return Math.floor(day + 5 * HOUR_MS + fraction * 4 * HOUR_MS);
}
