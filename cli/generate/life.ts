/**
 * What event-timed stories (history, incidents, near misses) share: where an account is at a time
 * (home, on a trip, or in the air), records stamped with their own event time, card payments that
 * settle at a given time, and money put in first when a story needs more than the account has.
 */
import type { Location, TransactionType } from '../../topologies/transactions/transaction.ts';
import type { AccountLife, AccountState, FundedCurrency } from './accounts.ts';
import { ATM_OPERATORS, CITIES, type City, type MerchantCategory } from './catalog.ts';
import { distanceKm } from './definitions.ts';
import type { SeededRandom } from './random.ts';
import { NO_CARD, locationIn, type RecordDetails } from './records.ts';
import type { PlanningContext, StoryStep } from './story.ts';
import { HOUR_MS } from './timeline.ts';

export const BY_TRANSFER: RecordDetails = { channel: 'TRANSFER', authorizationId: null, ...NO_CARD };
export const BY_APP: RecordDetails = { channel: 'APP', authorizationId: null, ...NO_CARD };

const CREDITS: ReadonlySet<string> = new Set(['DEPOSIT', 'TRANSFER_IN', 'REFUND', 'CHARGEBACK']);

export function lifeOf(account: AccountState): AccountLife {
  if (account.life === undefined) throw new Error(`${account.id} has no life: not an event-timed run`);
  return account.life;
}

/** Where the account is at `at`: its home, the trip's city, or null while flying. */
export function cityAt(account: AccountState, at: number): City | null {
  const trip = account.life?.trip ?? null;
  if (trip === null || at >= trip.backAt) return account.home;
  if (at < trip.arrivesAt)
    return at < trip.arrivesAt - flightMs(account.home, trip.city) ? account.home : null;
  if (at < trip.leavesAt) return trip.city;
  return null;
}

/** Door to door by plane: an hour and a half at airports, then 700 km/h. */
export function flightMs(from: City, to: City): number {
  return Math.round(1.5 * HOUR_MS + (distanceKm(from, to) / 700) * HOUR_MS);
}

/** Cities at least `minKm` from `from`, farthest first. */
export function citiesFrom(from: City, minKm: number): City[] {
  return CITIES.map(([city]) => city)
    .filter((city) => distanceKm(from, city) >= minKm)
    .sort((a, b) => distanceKm(from, b) - distanceKm(from, a));
}

/** A record at its own event time, as a step due then; moves the account's spendable money. */
export function timedStep(
  context: PlanningContext,
  account: AccountState,
  type: TransactionType,
  amountMinor: bigint,
  details: RecordDetails,
  at: number,
  currency: FundedCurrency = 'MXN',
): StoryStep {
  const record = context.records.record(account, type, amountMinor, currency, details);
  record.eventTime = at;
  if (CREDITS.has(type)) account.spendable[currency] += amountMinor;
  else if (type !== 'REVERSAL' && type !== 'CAPTURE') account.spendable[currency] -= amountMinor;
  return { record, delay: 0, late: false, at };
}

/** Card details at a merchant of the category: in `city` for a store, none online. */
export function cardAt(
  random: SeededRandom,
  account: AccountState,
  category: MerchantCategory,
  city: City | null,
): RecordDetails {
  return {
    channel: category.channel,
    cardId: account.cardId,
    merchant: random.pick(category.merchants),
    location: category.channel === 'POS' && city !== null ? locationIn(random, city) : null,
    authorizationId: null,
  };
}

/** An ATM of one of the operators in the city. */
export function atmIn(
  random: SeededRandom,
  account: AccountState,
  city: City,
  operator?: number,
): RecordDetails {
  return {
    channel: 'ATM',
    cardId: account.cardId,
    merchant:
      operator === undefined
        ? random.pick(ATM_OPERATORS)
        : (ATM_OPERATORS[operator % ATM_OPERATORS.length] ?? null),
    location: locationIn(random, city) satisfies Location,
    authorizationId: null,
  };
}

/**
 * A card payment authorized at `at` and captured at `captureAt` for `capturedMinor` (the amount
 * authorized unless said otherwise); no capture when `captureAt` is null (the hold stays open).
 */
export function timedCardPayment(
  context: PlanningContext,
  account: AccountState,
  details: RecordDetails,
  amountMinor: bigint,
  at: number,
  captureAt: number | null,
  capturedMinor: bigint = amountMinor,
): StoryStep[] {
  const authorization = timedStep(context, account, 'AUTHORIZATION', amountMinor, details, at);
  const steps = [authorization];
  if (captureAt !== null) {
    const linked = { ...details, authorizationId: authorization.record.transactionId };
    steps.push(timedStep(context, account, 'CAPTURE', capturedMinor, linked, captureAt));
    account.spendable.MXN -= capturedMinor - amountMinor;
  }
  return steps;
}

/**
 * Money put in at `at` when the account has less than `needMinor` to spend: a transfer from
 * another bank of three times what is missing (whole hundreds), so that what follows never takes
 * most of it.
 */
export function fundFor(
  context: PlanningContext,
  account: AccountState,
  needMinor: bigint,
  at: number,
): StoryStep[] {
  const missing = needMinor - account.spendable.MXN;
  if (missing <= 0n) return [];
  // At least the whole need: what follows takes at most half of it (never a rapid drain).
  const wanted = missing * 3n > needMinor ? missing * 3n : needMinor;
  const amountMinor = (wanted / 10_000n + 1n) * 10_000n;
  return [timedStep(context, account, 'TRANSFER_IN', amountMinor, BY_TRANSFER, at)];
}
