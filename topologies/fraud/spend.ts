import type { Transaction } from '../transactions/transaction.ts';
import type { LimitUsage, SpendKind } from './activity.ts';
import type { CalendarDay } from './calendar.ts';

/**
 * Which transactions are spends (money the customer sends out): card authorizations and their
 * increments, ATM withdrawals, outgoing transfers. Captures settle a spend already counted;
 * fees, refunds and credits are not the customer's doing.
 */
export function spendKindOf(transaction: Transaction): SpendKind | undefined {
  switch (transaction.type) {
    case 'AUTHORIZATION':
    case 'INCREMENTAL_AUTHORIZATION':
      return 'card';
    case 'WITHDRAWAL':
      return 'atm';
    case 'TRANSFER_OUT':
      return 'transfer';
    default:
      return undefined;
  }
}

/** Money coming in that a rapid drain may follow. */
export function isInflow(transaction: Transaction): boolean {
  return transaction.type === 'DEPOSIT' || transaction.type === 'TRANSFER_IN';
}

/**
 * The account's limit usage after a spend on local day `when`. A new day starts the daily sums
 * (a new month the monthly one). A late spend of an earlier day than the one under way counts in
 * the month when it is the same month, and in no daily sum: only the current day is kept.
 */
export function addToUsage(
  usage: LimitUsage | null,
  when: CalendarDay,
  kind: SpendKind,
  amountMinor: bigint,
): LimitUsage {
  let next: LimitUsage;
  if (usage === null || when.day > usage.day) {
    next = {
      day: when.day,
      daySpendMinor: 0n,
      dayAtmMinor: 0n,
      dayTransfersMinor: 0n,
      month: when.month,
      monthSpendMinor: usage !== null && usage.month === when.month ? usage.monthSpendMinor : 0n,
    };
  } else {
    next = { ...usage };
  }
  if (when.month === next.month) next.monthSpendMinor += amountMinor;
  if (when.day !== next.day) return next;
  if (kind === 'transfer') next.dayTransfersMinor += amountMinor;
  else next.daySpendMinor += amountMinor;
  if (kind === 'atm') next.dayAtmMinor += amountMinor;
  return next;
}
