/** Builds the generator's transaction records: ids, amounts in minor units, places. */
import type {
  Channel,
  Location,
  Merchant,
  TransactionRecord,
  TransactionType,
} from '../../topologies/transactions/transaction.ts';
import type { AccountState } from './accounts.ts';
import type { City } from './catalog.ts';
import type { SeededRandom } from './random.ts';

/** What a record says beyond its account, type and money: where, with what and for which hold. */
export interface RecordDetails {
  channel: Channel;
  cardId: string | null;
  merchant: Merchant | null;
  location: Location | null;
  authorizationId: string | null;
}

export const NO_CARD: Readonly<Pick<RecordDetails, 'cardId' | 'merchant' | 'location'>> = {
  cardId: null,
  merchant: null,
  location: null,
};

/**
 * Hands out transaction ids (`tx-<seed in base 36>-<serial>`: unique within a run, different
 * between seeds, never a long run of digits) and builds records with one property order, so
 * every record has the same shape.
 */
export class RecordFactory {
  readonly #prefix: string;
  #serial = 0;

  constructor(seed: number) {
    this.#prefix = `tx-${seed.toString(36)}-`;
  }

  /** Ids handed out so far. */
  get issued(): number {
    return this.#serial;
  }

  record(
    account: AccountState,
    type: TransactionType,
    amountMinor: bigint,
    currency: string,
    details: RecordDetails,
  ): TransactionRecord {
    this.#serial += 1;
    return {
      transactionId: this.#prefix + String(this.#serial).padStart(8, '0'),
      accountId: account.id,
      type,
      amountMinor,
      currency,
      authorizationId: details.authorizationId,
      channel: details.channel,
      cardId: details.cardId,
      merchant: details.merchant,
      location: details.location,
      // Set when the record is emitted: event time follows the order of emission.
      eventTime: 0,
    };
  }
}

/** Shelf prices end in .00 mostly, sometimes .50, .90 or .99. */
const CENT_ENDINGS: readonly bigint[] = [0n, 0n, 0n, 0n, 0n, 50n, 90n, 99n];

/** A shelf price between two whole amounts of the currency, in minor units. */
export function priceMinor(random: SeededRandom, minMajor: number, maxMajor: number): bigint {
  return BigInt(random.between(minMajor, maxMajor)) * 100n + random.pick(CENT_ENDINGS);
}

/** An amount with any cents (a salary after taxes, a transfer): whole units drawn, then cents. */
export function anyCentsMinor(random: SeededRandom, minMajor: number, maxMajor: number): bigint {
  return BigInt(random.between(minMajor, maxMajor)) * 100n + BigInt(random.below(100));
}

/** `percent`% of an amount, rounded down, and never below one minor unit. */
export function percentOf(amountMinor: bigint, percent: number): bigint {
  const part = (amountMinor * BigInt(percent)) / 100n;
  return part > 0n ? part : 1n;
}

/** A point within a few kilometres of a city's centre (4 decimals: about 11 m). */
export function locationIn(random: SeededRandom, city: City): Location {
  return {
    country: 'MX',
    city: city.name,
    lat: Math.round((city.lat + (random.fraction() - 0.5) * 0.1) * 10_000) / 10_000,
    lon: Math.round((city.lon + (random.fraction() - 0.5) * 0.1) * 10_000) / 10_000,
  };
}
