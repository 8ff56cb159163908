/**
 * The traffic model: an endless, deterministic stream of transactions of many accounts, their
 * stories interleaved, with ~1% exact duplicates sent again later and ~1% of settled card payments
 * whose authorization arrives after its capture or reversal. The n-th record emitted (from 0) has
 * event time `startTime + floor(n × spacingMs)`, except that duplicates and late authorizations
 * keep the earlier event time they were first given.
 */
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import { createAccounts, type AccountState } from './accounts.ts';
import { SeededRandom } from './random.ts';
import { EmissionSchedule } from './schedule.ts';
import { StoryPlanner } from './stories.ts';
import { MAX_STORY_DELAY, type StoryStep } from './story.ts';

/**
 * The most event time a run may span. Holds expire 7 days after their authorization and the
 * topology refuses records more than a day ahead of the wall clock (DEFAULT_PRODUCT_SETTINGS of
 * topologies/product.ts): a quarter of a day keeps every hold of a run open and every record
 * acceptable even when generated far faster than its event times pass.
 */
export const MAX_EVENT_TIME_SPAN_MS = 6 * 60 * 60 * 1_000;

/** Event time between records: 1000 / rate ms, or 1 ms when the rate is unlimited. */
export function spacingMsFor(rate: number | undefined): number {
  return rate === undefined ? 1 : 1_000 / rate;
}

/** How many records fit in MAX_EVENT_TIME_SPAN_MS at this spacing. */
export function recordsWithinSpan(spacingMs: number): number {
  return Math.floor(MAX_EVENT_TIME_SPAN_MS / spacingMs) + 1;
}

/** Share of records sent a second time, later, exactly as they were. */
export const DUPLICATE_RATE = 0.01;
/** Emissions after the original at which its duplicate is due. */
const DUPLICATE_DELAY: readonly [number, number] = [1, 2_000];

/** How a record came to be emitted. */
export type Delivery = 'original' | 'duplicate' | 'late';

export interface Emission {
  record: TransactionRecord;
  delivery: Delivery;
}

export interface TrafficOptions {
  accounts: number;
  seed: number;
  /** Event time of the first record, ms since the epoch. */
  startTime: number;
  /** Event time between consecutive emissions (1000 / rate); fractions accumulate. */
  spacingMs: number;
}

/** A record waiting in the schedule: late authorizations carry the slot their story started at. */
interface Pending {
  record: TransactionRecord;
  delivery: Delivery;
  startSlot: number;
}

export class TrafficGenerator {
  readonly #options: TrafficOptions;
  readonly #random: SeededRandom;
  readonly #accounts: AccountState[];
  readonly #planner: StoryPlanner;
  readonly #schedule = new EmissionSchedule<Pending>(Math.max(MAX_STORY_DELAY, DUPLICATE_DELAY[1]) + 1);
  /** The slot of the next emission. */
  #slot = 0;

  constructor(options: TrafficOptions) {
    this.#options = options;
    this.#random = new SeededRandom(options.seed);
    this.#accounts = createAccounts(options.accounts, this.#random);
    this.#planner = new StoryPlanner(this.#random, options.seed);
  }

  /** Records emitted so far. */
  get emitted(): number {
    return this.#slot;
  }

  /** Event time of the emission slot. */
  eventTimeOf(slot: number): number {
    return this.#options.startTime + Math.floor(slot * this.#options.spacingMs);
  }

  /** The next record, and whether it is an original, a duplicate or a late authorization. */
  next(): Emission {
    const slot = this.#slot;
    let pending = this.#schedule.take(slot);
    while (pending === undefined) {
      this.#startStory(slot);
      pending = this.#schedule.take(slot);
    }
    this.#slot = slot + 1;
    const record = pending.record;
    if (pending.delivery !== 'duplicate') {
      record.eventTime = this.eventTimeOf(pending.delivery === 'late' ? pending.startSlot : slot);
      if (this.#random.chance(DUPLICATE_RATE)) this.#scheduleDuplicate(slot, record);
    }
    return pending;
  }

  #startStory(slot: number): void {
    const steps = this.#planner.next(this.#pickAccount());
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i] as StoryStep;
      this.#schedule.add(slot + step.delay, {
        record: step.record,
        delivery: step.late ? 'late' : 'original',
        startSlot: slot,
      });
    }
  }

  /** A copy sent again later: same id, same content, same (now earlier) event time. */
  #scheduleDuplicate(slot: number, record: TransactionRecord): void {
    const delay = this.#random.between(DUPLICATE_DELAY[0], DUPLICATE_DELAY[1]);
    this.#schedule.add(slot + delay, { record: { ...record }, delivery: 'duplicate', startSlot: slot });
  }

  /** Any account, more often the more active its profile (rejection sampling on its activity). */
  #pickAccount(): AccountState {
    const random = this.#random;
    for (;;) {
      const account = random.pick(this.#accounts);
      if (random.chance(account.profile.activity)) return account;
    }
  }
}
