import type { Transaction } from '../transactions/transaction.ts';
import {
  OUTFLOW_IDS_LIMIT,
  RECENT_LIMIT,
  RECENT_SPAN_MS,
  type AccountActivity,
  type LimitUsage,
  type RecentSpend,
  type SpendKind,
} from './activity.ts';
import { isCardPresent } from './rules/impossible-travel.ts';
import { isInflow } from './spend.ts';

/** What the rule set says the activity must remember (see RuleSet). */
export interface ActivityMemory {
  /** Inflows at least this large are watched for a rapid drain; undefined: none. */
  watchedInflowMinor: bigint | undefined;
  highRiskMccs: readonly string[];
}

/** An inflow large enough to watch for a rapid drain (its amount in the rule set's currency). */
export function watchesInflow(
  transaction: Transaction,
  amountMinor: bigint | undefined,
  memory: ActivityMemory,
): amountMinor is bigint {
  const watched = memory.watchedInflowMinor;
  return (
    isInflow(transaction) && watched !== undefined && amountMinor !== undefined && amountMinor >= watched
  );
}

/** The spends of the last RECENT_SPAN_MS of stream time, with `spend` in event-time order, at most RECENT_LIMIT. */
export function recentWith(
  recent: readonly RecentSpend[],
  spend: RecentSpend,
  streamTime: number,
): RecentSpend[] {
  const next = recent.filter((s) => s.at > streamTime - RECENT_SPAN_MS);
  let at = next.length;
  while (at > 0 && (next[at - 1] as RecentSpend).at > spend.at) at--;
  next.splice(at, 0, spend);
  return next.length > RECENT_LIMIT ? next.slice(next.length - RECENT_LIMIT) : next;
}

export function recentSpendOf(
  transaction: Transaction,
  kind: SpendKind,
  amountMinor: bigint | undefined,
): RecentSpend {
  return {
    at: transaction.eventTime,
    kind,
    channel: transaction.channel,
    amountMinor: amountMinor ?? null,
    merchantId: transaction.merchant?.id ?? null,
    city: transaction.location?.city ?? null,
    transactionId: transaction.transactionId,
  };
}

/**
 * The account's activity after a transaction (pure). A spend moves the last spend, the last
 * card-present place, the high-risk categories paid and the outflow since the watched inflow; a
 * large inflow starts a new watch; `changed` carries what the processor computed already.
 */
export function activityAfter(
  before: AccountActivity,
  transaction: Transaction,
  memory: ActivityMemory,
  changed: {
    spend: SpendKind | undefined;
    /** In the rule set's currency. */
    amountMinor: bigint | undefined;
    recent: RecentSpend[];
    usage: LimitUsage | null;
    lastAlertAt: Map<string, number>;
  },
): AccountActivity {
  const at = transaction.eventTime;
  const { spend, amountMinor, recent, usage, lastAlertAt } = changed;
  if (spend === undefined) {
    if (!watchesInflow(transaction, amountMinor, memory)) return { ...before, lastAlertAt };
    return {
      ...before,
      lastAlertAt,
      inflow: {
        at,
        amountMinor,
        transactionId: transaction.transactionId,
        outflowMinor: 0n,
        outflowTransactionIds: [],
      },
    };
  }
  const location = transaction.location;
  const previousPlace = before.lastCardPresent;
  const mcc = transaction.merchant?.mcc;
  const inflow = before.inflow;
  return {
    lastSpendAt: Math.max(before.lastSpendAt, at),
    lastCardPresent:
      location !== null &&
      isCardPresent(transaction.channel) &&
      (previousPlace === null || at >= previousPlace.at)
        ? {
            at,
            lat: location.lat,
            lon: location.lon,
            country: location.country,
            transactionId: transaction.transactionId,
          }
        : previousPlace,
    recent,
    highRiskMccs:
      transaction.type === 'AUTHORIZATION' &&
      mcc !== undefined &&
      memory.highRiskMccs.includes(mcc) &&
      !before.highRiskMccs.includes(mcc)
        ? [...before.highRiskMccs, mcc]
        : before.highRiskMccs,
    inflow:
      inflow !== null && amountMinor !== undefined && at >= inflow.at
        ? {
            ...inflow,
            outflowMinor: inflow.outflowMinor + amountMinor,
            outflowTransactionIds: [...inflow.outflowTransactionIds, transaction.transactionId].slice(
              -OUTFLOW_IDS_LIMIT,
            ),
          }
        : inflow,
    usage,
    lastAlertAt,
  };
}
