/**
 * Card payment stories: an authorization, and how it settles (a capture as authorized, a partial
 * one, one with a tip, a reversal of all or part, incrementals first at hotels and pumps, or
 * nothing, so that it is still held when the run ends). Each story stays in one currency.
 */
import type { TransactionType } from '../../topologies/transactions/transaction.ts';
import type { AccountState, FundedCurrency } from './accounts.ts';
import { CITIES, TOURIST_CITIES, type City, type MerchantCategory, type Settlement } from './catalog.ts';
import { cityAt } from './life.ts';
import { WeightedChoice } from './random.ts';
import { locationIn, percentOf, priceMinor, type RecordDetails } from './records.ts';
import {
  INCREMENTAL_DELAY,
  LATE_AUTHORIZATION_DELAY,
  LATE_AUTHORIZATION_RATE,
  SETTLEMENT_DELAY,
  type PlanningContext,
  type StoryStep,
} from './story.ts';

type Outcome =
  | 'capture'
  | 'partialCapture'
  | 'tipCapture'
  | 'exchangeCapture'
  | 'fullReversal'
  | 'partialReversal'
  | 'incremental'
  | 'open';

/** How often each category's payments end each way. */
const OUTCOMES: Record<Settlement, WeightedChoice<Outcome>> = {
  standard: new WeightedChoice<Outcome>([
    ['capture', 80],
    ['partialCapture', 4],
    ['fullReversal', 6],
    ['partialReversal', 3],
    ['open', 7],
  ]),
  tip: new WeightedChoice<Outcome>([
    ['tipCapture', 55],
    ['capture', 28],
    ['partialCapture', 2],
    ['fullReversal', 5],
    ['partialReversal', 2],
    ['open', 8],
  ]),
  lodging: new WeightedChoice<Outcome>([
    ['incremental', 60],
    ['capture', 15],
    ['fullReversal', 10],
    ['partialReversal', 7],
    ['open', 8],
  ]),
  fuel: new WeightedChoice<Outcome>([
    ['partialCapture', 72],
    ['incremental', 10],
    ['capture', 5],
    ['fullReversal', 7],
    ['open', 6],
  ]),
  foreign: new WeightedChoice<Outcome>([
    ['capture', 72],
    ['exchangeCapture', 15],
    ['fullReversal', 6],
    ['open', 7],
  ]),
};

/** Pump pre-authorizations, in centavos: 500 pesos, or 1,000 for a bigger tank. */
const SMALL_PUMP_HOLD = 50_000n;
const LARGE_PUMP_HOLD = 100_000n;

/**
 * Plans one card payment of the account in the category, or returns null when the account cannot
 * afford it (the caller plans a top-up instead).
 */
export function planCardPayment(
  context: PlanningContext,
  account: AccountState,
  category: MerchantCategory,
): StoryStep[] | null {
  const { random, records } = context;
  const currency: FundedCurrency = category.currency;
  const outcome = OUTCOMES[category.settlement].pick(random);
  const price = priceMinor(random, category.minMajor, category.maxMajor);
  // At the pump the terminal holds a round amount first and captures what was pumped.
  const pumpHold = price > SMALL_PUMP_HOLD ? LARGE_PUMP_HOLD : SMALL_PUMP_HOLD;
  const authorized = category.settlement === 'fuel' ? pumpHold : price;
  if (authorized > account.spendable[currency]) return null;
  // With realistic event time, room for what may come on top (tips, incrementals): no overdraft.
  if (
    context.now !== undefined &&
    authorized * headroomTenths(category) > account.spendable[currency] * 10n
  ) {
    return null;
  }
  const city = category.channel === 'POS' ? storeCity(context, account, category) : null;
  if (category.channel === 'POS' && city === null) return null;

  const details: RecordDetails = {
    channel: category.channel,
    cardId: account.cardId,
    merchant: random.pick(category.merchants),
    location: city === null ? null : locationIn(random, city),
    authorizationId: null,
  };
  const authorization = records.record(account, 'AUTHORIZATION', authorized, currency, details);
  const linked: RecordDetails = { ...details, authorizationId: authorization.transactionId };
  // With realistic event time the merchant adds to the bill without the card (and the account may
  // be elsewhere by then): incrementals carry no location.
  const grown: RecordDetails = context.now === undefined ? linked : { ...linked, location: null };
  const steps: StoryStep[] = [{ record: authorization, delay: 0, late: false }];
  let at = 0;
  const follow = (
    type: TransactionType,
    amountMinor: bigint,
    delay: readonly [number, number],
    with_: RecordDetails = linked,
  ): void => {
    at += random.between(delay[0], delay[1]);
    steps.push({
      record: records.record(account, type, amountMinor, currency, with_),
      delay: at,
      late: false,
    });
  };

  // What the story leaves debited or held once it is over.
  let takes = authorized;
  switch (outcome) {
    case 'capture':
      follow('CAPTURE', authorized, SETTLEMENT_DELAY);
      break;
    case 'partialCapture':
      takes = category.settlement === 'fuel' ? price : percentOf(authorized, random.between(50, 95));
      follow('CAPTURE', takes, SETTLEMENT_DELAY);
      break;
    case 'tipCapture':
      takes = authorized + percentOf(authorized, random.between(8, 20));
      follow('CAPTURE', takes, SETTLEMENT_DELAY);
      break;
    case 'exchangeCapture': {
      // Settled at the day's exchange rate: a little above or below what was held.
      const drift = percentOf(authorized, random.between(1, 3));
      takes = random.chance(0.5) || drift >= authorized ? authorized + drift : authorized - drift;
      follow('CAPTURE', takes, SETTLEMENT_DELAY);
      break;
    }
    case 'fullReversal':
      takes = 0n;
      follow('REVERSAL', authorized, SETTLEMENT_DELAY);
      break;
    case 'partialReversal': {
      const released = percentOf(authorized, random.between(10, 60));
      takes = authorized - released;
      follow('REVERSAL', released, SETTLEMENT_DELAY);
      // Half the time the rest is captured later; otherwise it stays held.
      if (random.chance(0.5)) follow('CAPTURE', takes, SETTLEMENT_DELAY);
      break;
    }
    case 'incremental': {
      const increments = category.settlement === 'fuel' ? 1 : random.between(1, 2);
      for (let i = 0; i < increments; i++) {
        const extra = percentOf(authorized, random.between(20, 100));
        takes += extra;
        follow('INCREMENTAL_AUTHORIZATION', extra, INCREMENTAL_DELAY, grown);
      }
      // Most stays are settled at check-out (sometimes for less); some are still open at the end.
      if (random.chance(0.8)) {
        takes = random.chance(0.7) ? takes : percentOf(takes, random.between(85, 99));
        follow('CAPTURE', takes, SETTLEMENT_DELAY);
      }
      break;
    }
    case 'open':
      break;
  }
  account.spendable[currency] -= takes;
  // Only a settlement overtakes its authorization: in a story with incrementals the first record
  // after the authorization is an incremental, and the authorization is left in its place.
  if (outcome !== 'incremental' && steps.length > 1 && random.chance(LATE_AUTHORIZATION_RATE)) {
    delayAuthorization(context, steps);
  }
  return steps;
}

/** The authorization goes out after the first record that names it, keeping its own event time. */
function delayAuthorization(context: PlanningContext, steps: StoryStep[]): void {
  const first = steps[1] as StoryStep;
  const authorization = steps[0] as StoryStep;
  authorization.delay =
    first.delay + context.random.between(LATE_AUTHORIZATION_DELAY[0], LATE_AUTHORIZATION_DELAY[1]);
  authorization.late = true;
}

/** What a payment may end up taking, in tenths of its authorization (lodging grows up to 3×). */
function headroomTenths(category: MerchantCategory): bigint {
  return category.settlement === 'lodging' ? 32n : 13n;
}

/**
 * Hotels and car rentals are where travellers go; other stores mostly in the home city. With
 * realistic event time, wherever the account is (null: in the air).
 */
function storeCity(context: PlanningContext, account: AccountState, category: MerchantCategory): City | null {
  if (context.now !== undefined) return cityAt(account, context.now);
  if (category.settlement === 'lodging') return context.random.pick(TOURIST_CITIES);
  return context.random.chance(0.9) ? account.home : context.random.pick(CITIES)[0];
}
