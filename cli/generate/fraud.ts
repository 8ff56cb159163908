/**
 * Fraud incidents injected into the live traffic, one pattern per rule of the rule set, each with
 * the details of the real thing: card testing with a few pesos at one online shop, cash taken out
 * at several ATMs of one or two nearby cities, a card used in a store 1,000+ km from where it was
 * used an hour ago, a gambling site, money in and straight out again, an account silent for
 * months. Every step is stamped with its own event time (minutes apart, not emission slots).
 * Whether an incident truly exhibits its rule (and others) is for definitions.ts to say.
 */
import type { AccountState } from './accounts.ts';
import {
  HIGH_RISK_CATEGORIES,
  ONLINE_CATEGORIES,
  POS_CATEGORIES,
  TIMED_CATEGORIES,
  type City,
} from './catalog.ts';
import { distanceKm, type RuleId } from './definitions.ts';
import {
  BY_APP,
  BY_TRANSFER,
  atmIn,
  cardAt,
  cityAt,
  citiesFrom,
  fundFor,
  lifeOf,
  timedCardPayment,
  timedStep,
} from './life.ts';
import { anyCentsMinor, percentOf, priceMinor } from './records.ts';
import type { PlanningContext, StoryStep } from './story.ts';
import { HOUR_MS } from './timeline.ts';

const MINUTE_MS = 60_000;
const SECOND_MS = 1_000;

/** What planning an incident needs besides the context. */
export interface FraudDeps {
  context: PlanningContext;
  /** An account free for an incident (not busy, not reserved), drawn as stories draw them. */
  pickAccount: () => AccountState;
  /** Accounts kept silent for dormant-reactivation incidents, not yet reactivated. */
  dormant: AccountState[];
  /** Accounts whose limits have an override below their tier's. */
  lowered: readonly AccountState[];
  /** The account's MXN spends of the last 30 days: their average and number. */
  averageOf: (account: AccountState, at: number) => { averageMinor: bigint; count: number };
}

export interface PlannedIncident {
  pattern: RuleId;
  account: AccountState;
  steps: StoryStep[];
}

type Planner = (deps: FraudDeps, account: AccountState, at: number) => StoryStep[] | null;

/** Plans an incident of the pattern at `at`, on an account that suits it; null when none does. */
export function planIncident(pattern: RuleId, deps: FraudDeps, at: number): PlannedIncident | null {
  for (let attempt = 0; attempt < 40; attempt++) {
    const account = accountFor(pattern, deps);
    if (account === null) return null;
    const life = lifeOf(account);
    // Not while travelling: an incident's places are where the account is for its whole span.
    if (life.incidents.has(pattern) || (life.trip !== null && at < life.trip.backAt + HOUR_MS)) continue;
    const steps = PLANNERS[pattern](deps, account, at);
    if (steps === null) continue;
    life.incidents.add(pattern);
    const last = Math.max(...steps.map((step) => step.at ?? at));
    life.busyUntil = Math.max(life.busyUntil, last + HOUR_MS);
    return { pattern, account, steps };
  }
  return null;
}

function accountFor(pattern: RuleId, deps: FraudDeps): AccountState | null {
  const { random } = deps.context;
  if (pattern === 'dormant-reactivation') {
    const account = deps.dormant.shift();
    return account ?? null;
  }
  if (pattern === 'limit-breach' && deps.lowered.length > 0 && random.chance(0.5)) {
    return random.pick(deps.lowered);
  }
  return deps.pickAccount();
}

/** Times `count` steps from `at`, each `gap` (min, max) ms after the previous. */
function times(deps: FraudDeps, at: number, count: number, gap: readonly [number, number]): number[] {
  const result: number[] = [];
  let t = at;
  for (let i = 0; i < count; i++) {
    if (i > 0) t += deps.context.random.between(gap[0], gap[1]);
    result.push(t);
  }
  return result;
}

/** Hundreds of pesos, in minor units. */
const hundreds = (n: number): bigint => BigInt(n) * 10_000n;

const PLANNERS: Record<RuleId, Planner> = {
  /** Many purchases at once with a stolen card: 7–10 in under a minute, or 22–25 in under an hour. */
  'velocity-burst': (deps, account, at) => {
    const { random } = deps.context;
    const fast = random.chance(0.7);
    const when = fast
      ? times(deps, at, random.between(7, 10), [3 * SECOND_MS, 7 * SECOND_MS])
      : times(deps, at, random.between(22, 25), [60 * SECOND_MS, 140 * SECOND_MS]);
    const prices = when.map(() => priceMinor(random, fast ? 150 : 60, fast ? 900 : 300));
    const total = prices.reduce((sum, price) => sum + price, 0n);
    const steps = fundFor(deps.context, account, total * 2n, at);
    when.forEach((t, i) => {
      const category = ONLINE_CATEGORIES[random.pick(['marketplace', 'delivery', 'phone'] as const)];
      const details = cardAt(random, account, category, null);
      steps.push(...timedCardPayment(deps.context, account, details, prices[i] as bigint, t, null));
    });
    return steps;
  },

  /** 5–9 authorizations of a few pesos at one digital-goods shop, minutes apart; half voided. */
  'card-testing': (deps, account, at) => {
    const { random } = deps.context;
    const category = TIMED_CATEGORIES.digital;
    const details = cardAt(random, account, category, null);
    const steps = fundFor(deps.context, account, hundreds(5), at);
    for (const t of times(deps, at, random.between(5, 9), [70 * SECOND_MS, 5 * MINUTE_MS])) {
      const amountMinor = BigInt(random.between(100, random.chance(0.8) ? 500 : 2_000));
      const [authorization] = timedCardPayment(deps.context, account, details, amountMinor, t, null);
      steps.push(authorization as StoryStep);
      if (random.chance(0.5)) {
        const linked = { ...details, authorizationId: (authorization as StoryStep).record.transactionId };
        steps.push(
          timedStep(
            deps.context,
            account,
            'REVERSAL',
            amountMinor,
            linked,
            t + random.between(5, 60) * SECOND_MS,
          ),
        );
        account.spendable.MXN += amountMinor;
      }
    }
    return steps;
  },

  /** One purchase far above the account's own: electronics for 6–9 times its average. */
  'amount-anomaly': (deps, account, at) => {
    const { random } = deps.context;
    const { averageMinor, count } = deps.averageOf(account, at);
    if (count < 5) return null;
    let amountMinor = (averageMinor * BigInt(random.between(60, 90))) / 10n;
    if (amountMinor < 350_000n) amountMinor = 350_000n + BigInt(random.between(0, 2_000)) * 100n;
    const city = cityAt(account, at) as City;
    const steps = fundFor(deps.context, account, amountMinor * 2n, at);
    const details = cardAt(random, account, TIMED_CATEGORIES.electronics, city);
    const captureAt = at + random.between(2, 20) * HOUR_MS;
    steps.push(...timedCardPayment(deps.context, account, details, amountMinor, at + MINUTE_MS, captureAt));
    return steps;
  },

  /** 3–4 withdrawals within the hour: at different banks' ATMs, or in two nearby cities. */
  'atm-cash-out': (deps, account, at) => {
    const { random } = deps.context;
    const home = cityAt(account, at) as City;
    const near = citiesFrom(home, 40).filter((city) => distanceKm(home, city) < 250);
    const twoCities = near.length > 0 && random.chance(0.4);
    const other = twoCities ? random.pick(near) : home;
    const count = random.between(3, 4);
    const gap = twoCities
      ? ([18 * MINUTE_MS, 22 * MINUTE_MS] as const)
      : ([4 * MINUTE_MS, 15 * MINUTE_MS] as const);
    const when = times(deps, at, count, gap);
    const amounts = when.map(() => hundreds(random.between(10, 40)));
    const total = amounts.reduce((sum, amount) => sum + amount, 0n);
    const steps = fundFor(deps.context, account, total * 2n, at);
    const firstOperator = random.below(5);
    when.forEach((t, i) => {
      const city = twoCities && i % 2 === 1 ? other : home;
      const details = atmIn(random, account, city, firstOperator + i);
      steps.push(timedStep(deps.context, account, 'WITHDRAWAL', amounts[i] as bigint, details, t));
    });
    return steps;
  },

  /** A store purchase where the account is, then a cloned card at a store 1,000+ km away within the hour. */
  'impossible-travel': (deps, account, at) => {
    const { random } = deps.context;
    const here = cityAt(account, at) as City;
    const far = citiesFrom(here, 1_000);
    if (far.length === 0) return null;
    const there = random.pick(far.slice(0, 3));
    const km = distanceKm(here, there);
    // At least twice the speed of the rule's limit: minutes, where a flight takes hours.
    const maxMinutes = Math.max(10, Math.floor(((km / 1_800) * 60) | 0));
    const later = at + random.between(10, Math.min(90, maxMinutes)) * MINUTE_MS;
    const first = priceMinor(random, 40, 300);
    const second = priceMinor(random, 800, 4_000);
    const steps = fundFor(deps.context, account, (first + second) * 2n, at);
    const store = cardAt(random, account, POS_CATEGORIES.convenience, here);
    steps.push(...timedCardPayment(deps.context, account, store, first, at + MINUTE_MS, at + 6 * HOUR_MS));
    const category = random.chance(0.5) ? POS_CATEGORIES.department : TIMED_CATEGORIES.electronics;
    const cloned = cardAt(random, account, category, there);
    const amount = category === POS_CATEGORIES.department ? second : hundreds(random.between(30, 60));
    steps.push(...fundFor(deps.context, account, amount * 2n, at));
    steps.push(...timedCardPayment(deps.context, account, cloned, amount, later, later + 8 * HOUR_MS));
    return steps;
  },

  /** The account's first payment to a gambling site, a crypto exchange, a money order or a card load. */
  'high-risk-mcc': (deps, account, at) => {
    const { random } = deps.context;
    const category = random.pick(HIGH_RISK_CATEGORIES);
    const amountMinor = priceMinor(random, category.minMajor, category.maxMajor);
    const steps = fundFor(deps.context, account, amountMinor * 2n, at);
    const details = cardAt(random, account, category, null);
    steps.push(
      ...timedCardPayment(
        deps.context,
        account,
        details,
        amountMinor,
        at + MINUTE_MS,
        at + random.between(1, 10) * HOUR_MS,
      ),
    );
    return steps;
  },

  /** 8,000–40,000 pesos come in and 92–99 % of it leaves in 1–3 transfers within hours (a mule). */
  'rapid-drain': (deps, account, at) => {
    const { random } = deps.context;
    const inflow = anyCentsMinor(random, 8_000, 40_000);
    const steps = [timedStep(deps.context, account, 'TRANSFER_IN', inflow, BY_TRANSFER, at)];
    const out = percentOf(inflow, random.between(92, 99));
    const parts = random.between(1, 3);
    const when = times(deps, at + random.between(10, 60) * MINUTE_MS, parts, [15 * MINUTE_MS, 2 * HOUR_MS]);
    let left = out;
    when.forEach((t, i) => {
      const amount = i === parts - 1 ? left : out / BigInt(parts);
      left -= amount;
      steps.push(
        timedStep(
          deps.context,
          account,
          'TRANSFER_OUT',
          amount,
          random.chance(0.5) ? BY_APP : BY_TRANSFER,
          t,
        ),
      );
    });
    return steps;
  },

  /** A silent account wakes up: cash at an ATM, or a purchase online. */
  'dormant-reactivation': (deps, account, at) => {
    const { random } = deps.context;
    const life = lifeOf(account);
    life.reserved = false;
    const steps: StoryStep[] = [];
    if (random.chance(0.5)) {
      const amountMinor = hundreds(random.between(5, 30));
      steps.push(...fundFor(deps.context, account, amountMinor * 2n, at));
      steps.push(
        timedStep(
          deps.context,
          account,
          'WITHDRAWAL',
          amountMinor,
          atmIn(random, account, cityAt(account, at) as City),
          at + MINUTE_MS,
        ),
      );
    } else {
      const amountMinor = priceMinor(random, 300, 2_500);
      steps.push(...fundFor(deps.context, account, amountMinor * 2n, at));
      const details = cardAt(random, account, ONLINE_CATEGORIES.marketplace, null);
      steps.push(
        ...timedCardPayment(deps.context, account, details, amountMinor, at + MINUTE_MS, at + 12 * HOUR_MS),
      );
    }
    return steps;
  },

  /** A stay settled for more than the account holds: the capture takes available below zero. */
  overdraft: (deps, account, at) => {
    const { random } = deps.context;
    const spendable = account.spendable.MXN;
    if (spendable < 30_000n || spendable > 2_000_000n) return null;
    const authorized = percentOf(spendable, random.between(70, 95));
    const captured = spendable + hundreds(random.between(5, 15));
    const city = cityAt(account, at) as City;
    const details = cardAt(random, account, POS_CATEGORIES.hotel, city);
    return timedCardPayment(
      deps.context,
      account,
      details,
      authorized,
      at,
      at + random.between(30, 180) * MINUTE_MS,
      captured,
    );
  },

  /** A spend over a limit: the user's own lower MTU or ATM cap, or the tier's transfer or ATM limit. */
  'limit-breach': (deps, account, at) => {
    const { random } = deps.context;
    const life = lifeOf(account);
    const limits = life.limits.effective;
    const city = cityAt(account, at) as City;
    const atm =
      life.limits.lowered.includes('dailyAtmMinor') ||
      (!life.limits.lowered.includes('dailyTransfersMinor') && random.chance(0.4));
    if (atm) {
      const amountMinor =
        ((limits.dailyAtmMinor * BigInt(random.between(110, 140))) / 100n / 10_000n + 1n) * 10_000n;
      if (amountMinor > hundreds(120)) return null;
      const steps = fundFor(deps.context, account, amountMinor * 3n, at);
      steps.push(
        timedStep(
          deps.context,
          account,
          'WITHDRAWAL',
          amountMinor,
          atmIn(random, account, city),
          at + MINUTE_MS,
        ),
      );
      return steps;
    }
    if (life.limits.raisedTransfers) return null;
    const amountMinor = (limits.dailyTransfersMinor * BigInt(random.between(105, 150))) / 100n;
    const steps = fundFor(deps.context, account, amountMinor * 3n, at);
    steps.push(
      timedStep(
        deps.context,
        account,
        'TRANSFER_OUT',
        amountMinor,
        random.chance(0.5) ? BY_APP : BY_TRANSFER,
        at + MINUTE_MS,
      ),
    );
    return steps;
  },
};
