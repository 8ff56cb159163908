/** The generated customers: one account each, with a profile, a home city and a card token. */
import { CITIES, type City } from './catalog.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import type { AccountLimits } from './limits.ts';
import { PROFILE_CHOICE, type SpendingProfile } from './profiles.ts';
import { WeightedChoice, type SeededRandom } from './random.ts';

/** The currencies accounts hold money in: pesos, and dollars for paying abroad. */
export type FundedCurrency = 'MXN' | 'USD';

/** At most this many accounts: the card token's account part is 4 base-36 characters wide. */
export const MAX_ACCOUNTS = 1_000_000;

export interface AccountState {
  readonly id: string;
  readonly profile: SpendingProfile;
  readonly home: City;
  /** A card token, never a card number. */
  readonly cardId: string;
  /**
   * What the generator believes the account can still spend, per currency it funds: what it
   * planned to credit, less what it planned to debit or hold. Payments that would take it below
   * zero become top-ups instead, so negative balances stay rare (tips and fees can still get
   * there, as in life).
   */
  readonly spendable: Record<FundedCurrency, bigint>;
  /** Its first story, a salary, has been planned. */
  started: boolean;
  /** Event-timed runs only (see timeline.ts): where the account is, what it may do, its limits. */
  life?: AccountLife;
}

/** What the history's role of an account is: how long ago it last spent before the live traffic. */
export type HistoryRole = 'new' | 'regular' | 'quiet' | 'dormant';

/** A trip away from home: in the air until `arrivesAt`, there until `leavesAt`, home by `backAt`. */
export interface Trip {
  city: City;
  arrivesAt: number;
  leavesAt: number;
  backAt: number;
}

/** The state of an account in a run with realistic event time. */
export interface AccountLife {
  index: number;
  limits: AccountLimits;
  history: HistoryRole;
  trip: Trip | null;
  /** Normal stories leave the account alone until then (an incident of it is under way). */
  busyUntil: number;
  /** Kept out of normal traffic: a dormant account waiting for its reactivation. */
  reserved: boolean;
  /** Local day (yyyymmdd) of its last payroll, so that one quincena pays once. */
  paidOn: number;
  /** Fraud patterns already injected on it. */
  incidents: Set<string>;
  /** Incremental authorizations planned and not sent yet: spends to come. */
  pending: TransactionRecord[];
}

const HOME_CITY = new WeightedChoice(CITIES);

/** `acct-000001` for the first account: fixed width up to a million, so ids sort as numbers. */
export function accountIdOf(index: number): string {
  return `acct-${String(index + 1).padStart(6, '0')}`;
}

/** Creates the run's accounts, drawing each one's profile, home and card from `random`. */
export function createAccounts(count: number, random: SeededRandom): AccountState[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_ACCOUNTS) {
    throw new RangeError(`accounts must be a whole number from 1 to ${MAX_ACCOUNTS}, got ${count}`);
  }
  const accounts: AccountState[] = new Array<AccountState>(count);
  for (let i = 0; i < count; i++) {
    const serial = (i + 1).toString(36).padStart(4, '0');
    const secret = random.uint32().toString(36).padStart(7, '0');
    accounts[i] = {
      id: accountIdOf(i),
      profile: PROFILE_CHOICE.pick(random),
      home: HOME_CITY.pick(random),
      // Unique by its serial part; at most 11 digits in a row, so never mistaken for a card number.
      cardId: `card-${serial}${secret}`,
      spendable: { MXN: 0n, USD: 0n },
      started: false,
    };
  }
  return accounts;
}
