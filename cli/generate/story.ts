/**
 * A story is what one account does from its first record to its last: a salary (one record), or
 * a card payment (an authorization, then incrementals, a capture, reversals, or nothing). Its steps
 * are due a number of emissions after it starts, so other accounts' records come in between.
 */
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import type { SeededRandom } from './random.ts';
import type { RecordFactory } from './records.ts';

export interface StoryStep {
  record: TransactionRecord;
  /** Emissions after the story's first slot at which this step is due (0: at once). */
  delay: number;
  /**
   * An authorization sent out of order: after a capture or reversal that names it. Its event time
   * is the story's first slot's, earlier than theirs, as if it had been held up on the way.
   */
  late: boolean;
  /**
   * Runs with realistic event time only: the step's own event time (ms since the epoch), which it
   * keeps; it goes out at the first emission slot of that time, whatever `delay` says.
   */
  at?: number;
}

/** What planners draw with and build records with. */
export interface PlanningContext {
  random: SeededRandom;
  records: RecordFactory;
  /**
   * Runs with realistic event time only: the event time of the story being planned. Stores and
   * ATMs are then where the account is, and payments leave room for tips and incrementals.
   */
  now?: number;
}

/** Emissions from an authorization to its capture or reversal. */
export const SETTLEMENT_DELAY: readonly [number, number] = [20, 3_000];
/** Emissions between an authorization (or an incremental) and the next incremental. */
export const INCREMENTAL_DELAY: readonly [number, number] = [10, 1_500];
/** Emissions by which a late authorization follows the first record that names it. */
export const LATE_AUTHORIZATION_DELAY: readonly [number, number] = [1, 400];
/** Two incrementals at most, then a settlement, then a late authorization: never further out. */
export const MAX_STORY_DELAY =
  2 * INCREMENTAL_DELAY[1] + 2 * SETTLEMENT_DELAY[1] + LATE_AUTHORIZATION_DELAY[1];

/** Share of settled card payments whose authorization arrives after its capture or reversal. */
export const LATE_AUTHORIZATION_RATE = 0.01;

/** A story of one record, due at once. */
export function single(record: TransactionRecord): StoryStep[] {
  return [{ record, delay: 0, late: false }];
}
