/**
 * Normal traffic that comes close to a rule without meeting its definition, so that a rule set
 * that alerts on everything, or a sloppy rule, shows it: a shopping spree (3–4 purchases in ten
 * minutes), a large purchase of 2–4 times the usual, two ATM withdrawals in a day, metro rides and
 * coffees of a few pesos, a lottery ticket (MCC 7800, not a high-risk one), a flight to another
 * city (hours between the last purchase at home and the first there), a high-limit customer's
 * transfer above the tier's MTU but within their own. The caller checks each against the
 * definitions before it is sent and plans something else when it would meet one.
 */
import type { AccountState } from './accounts.ts';
import { CITIES, ONLINE_CATEGORIES, POS_CATEGORIES, TIMED_CATEGORIES, type City } from './catalog.ts';
import { BY_APP, atmIn, cardAt, cityAt, flightMs, lifeOf, timedCardPayment, timedStep } from './life.ts';
import { anyCentsMinor, priceMinor } from './records.ts';
import type { PlanningContext, StoryStep } from './story.ts';
import { DAY_MS, HOUR_MS } from './timeline.ts';
import { distanceKm } from './definitions.ts';

const MINUTE_MS = 60_000;

export const NEAR_MISSES = [
  'spree',
  'largePurchase',
  'atmTwice',
  'smallPurchases',
  'lottery',
  'trip',
  'largeTransfer',
] as const;
export type NearMiss = (typeof NEAR_MISSES)[number];

export interface NearMissDeps {
  context: PlanningContext;
  averageOf: (account: AccountState, at: number) => { averageMinor: bigint; count: number };
}

/** Steps of the near miss on the account at `at`; null when it does not suit the account now. */
export function planNearMiss(
  kind: NearMiss,
  deps: NearMissDeps,
  account: AccountState,
  at: number,
): StoryStep[] | null {
  const { context } = deps;
  const { random } = context;
  const city = cityAt(account, at);
  if (city === null) return null;
  const settle = (t: number) => t + random.between(2, 30) * HOUR_MS;
  switch (kind) {
    case 'spree': {
      const steps: StoryStep[] = [];
      let t = at;
      for (let i = random.between(3, 4); i > 0; i--) {
        const category =
          POS_CATEGORIES[random.pick(['clothing', 'department', 'convenience', 'coffee'] as const)];
        const price = priceMinor(random, category.minMajor, Math.min(category.maxMajor, 900));
        if (price * 2n > account.spendable.MXN) break;
        steps.push(
          ...timedCardPayment(context, account, cardAt(random, account, category, city), price, t, settle(t)),
        );
        t += random.between(90, 200) * 1_000;
      }
      return steps.length > 0 ? steps : null;
    }
    case 'largePurchase': {
      const { averageMinor, count } = deps.averageOf(account, at);
      if (count < 5 || averageMinor === 0n) return null;
      const amountMinor = (averageMinor * BigInt(random.between(20, 40))) / 10n;
      if (amountMinor * 2n > account.spendable.MXN) return null;
      const details = cardAt(random, account, POS_CATEGORIES.department, city);
      return timedCardPayment(context, account, details, amountMinor, at, settle(at));
    }
    case 'atmTwice': {
      const first = BigInt(random.between(3, 15)) * 10_000n;
      const second = BigInt(random.between(2, 10)) * 10_000n;
      if ((first + second) * 2n > account.spendable.MXN) return null;
      const later =
        at + (random.chance(0.5) ? random.between(20, 50) * MINUTE_MS : random.between(3, 10) * HOUR_MS);
      return [
        timedStep(context, account, 'WITHDRAWAL', first, atmIn(random, account, city, 0), at),
        timedStep(context, account, 'WITHDRAWAL', second, atmIn(random, account, city, 1), later),
      ];
    }
    case 'smallPurchases': {
      const steps: StoryStep[] = [];
      let t = at;
      for (let i = random.between(2, 3); i > 0; i--) {
        const category = random.chance(0.6) ? TIMED_CATEGORIES.transit : POS_CATEGORIES.coffee;
        const price = priceMinor(random, category.minMajor, category.maxMajor);
        steps.push(
          ...timedCardPayment(context, account, cardAt(random, account, category, city), price, t, settle(t)),
        );
        t += random.between(20, 240) * MINUTE_MS;
      }
      return account.spendable.MXN > 30_000n ? steps : null;
    }
    case 'lottery': {
      const category = TIMED_CATEGORIES.lottery;
      const price = priceMinor(random, category.minMajor, category.maxMajor);
      if (price * 2n > account.spendable.MXN) return null;
      return timedCardPayment(
        context,
        account,
        cardAt(random, account, category, city),
        price,
        at,
        settle(at),
      );
    }
    case 'trip': {
      const life = lifeOf(account);
      if (life.trip !== null || city !== account.home) return null;
      const away = CITIES.map(([candidate]) => candidate).filter(
        (candidate) => distanceKm(account.home, candidate) > 300,
      );
      const destination: City = random.pick(away);
      const fare = priceMinor(random, 1_500, 6_000);
      const hotel = priceMinor(random, 1_200, 3_500);
      if ((fare + hotel) * 3n > account.spendable.MXN) return null;
      const departs = at + random.between(4, 30) * HOUR_MS;
      const flight = flightMs(account.home, destination);
      const arrivesAt = departs + flight;
      const leavesAt = arrivesAt + random.between(1, 3) * DAY_MS;
      life.trip = { city: destination, arrivesAt, leavesAt, backAt: leavesAt + flight };
      const ticket = cardAt(random, account, ONLINE_CATEGORIES.airline, null);
      const stay = cardAt(random, account, POS_CATEGORIES.hotel, destination);
      const checkIn = arrivesAt + random.between(30, 120) * MINUTE_MS;
      return [
        ...timedCardPayment(context, account, ticket, fare, at, settle(at)),
        ...timedCardPayment(context, account, stay, hotel, checkIn, Math.max(leavesAt, checkIn + HOUR_MS)),
      ];
    }
    case 'largeTransfer': {
      const limits = lifeOf(account).limits;
      if (!limits.raisedTransfers) return null;
      const amountMinor = anyCentsMinor(random, 13_000, 40_000);
      if (
        amountMinor >= limits.effective.dailyTransfersMinor ||
        amountMinor >= limits.effective.perTransactionMinor
      )
        return null;
      if (amountMinor * 2n > account.spendable.MXN) return null;
      return [timedStep(context, account, 'TRANSFER_OUT', amountMinor, BY_APP, at)];
    }
  }
}
