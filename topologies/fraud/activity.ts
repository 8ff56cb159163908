import type { Serde } from '../../state/index.ts';
import { CHANNELS, type Channel } from '../transactions/transaction.ts';
import { CompactReader, CompactWriter } from './compact-bytes.ts';

/**
 * What the fraud rules remember of an account besides its velocity windows: recent spends (for
 * the transactions involved and the places they were made), the last card-present place, the
 * high-risk categories already paid, the last large inflow and what left since, today's and this
 * month's limit usage, and when each rule last alerted. Every part is bounded: the account's
 * state does not grow with its number of transactions.
 */
export interface AccountActivity {
  /** Event time of the last spend; -1: none known. */
  lastSpendAt: number;
  lastCardPresent: CardPresentPlace | null;
  /** Spends of the last RECENT_SPAN_MS of stream time, at most RECENT_LIMIT, oldest first. */
  recent: RecentSpend[];
  /** High-risk merchant categories (per the rule set) the account has paid before. */
  highRiskMccs: string[];
  /** The last inflow large enough to watch for a rapid drain, and what has gone out since. */
  inflow: InflowWatch | null;
  usage: LimitUsage | null;
  /** Per rule id: event time of its last alert on this account (its cooldown runs from there). */
  lastAlertAt: Map<string, number>;
}

export type SpendKind = 'card' | 'atm' | 'transfer';

export interface RecentSpend {
  at: number;
  kind: SpendKind;
  channel: Channel;
  /** In the rule set's currency; null: another currency. */
  amountMinor: bigint | null;
  merchantId: string | null;
  city: string | null;
  transactionId: string;
}

export interface CardPresentPlace {
  at: number;
  lat: number;
  lon: number;
  country: string;
  transactionId: string;
}

export interface InflowWatch {
  at: number;
  amountMinor: bigint;
  transactionId: string;
  /** Spent since the inflow (rule set's currency). */
  outflowMinor: bigint;
  /** The spends since, at most OUTFLOW_IDS_LIMIT (the latest). */
  outflowTransactionIds: string[];
}

/** Spends in the rule set's currency in the account's current calendar day and month. */
export interface LimitUsage {
  /** yyyymmdd of the account's time zone. */
  day: number;
  /** Card and ATM. */
  daySpendMinor: bigint;
  dayAtmMinor: bigint;
  dayTransfersMinor: bigint;
  /** yyyymm. */
  month: number;
  /** Card, ATM and transfers. */
  monthSpendMinor: bigint;
}

/** How far back recent spends reach: the longest span a rule reads them over, plus a margin for grace. */
export const RECENT_SPAN_MS = 70 * 60_000;
export const RECENT_LIMIT = 24;
export const OUTFLOW_IDS_LIMIT = 8;

export function emptyActivity(): AccountActivity {
  return {
    lastSpendAt: -1,
    lastCardPresent: null,
    recent: [],
    highRiskMccs: [],
    inflow: null,
    usage: null,
    lastAlertAt: new Map(),
  };
}

const KINDS: readonly SpendKind[] = ['card', 'atm', 'transfer'];
const FORMAT = 1;
const SERDE = 'account-activity';

function writeNullableText(out: CompactWriter, value: string | null): void {
  out.uint(value === null ? 0 : 1);
  if (value !== null) out.text(value);
}

function readNullableText(input: CompactReader): string | null {
  return input.uint() === 0 ? null : input.text();
}

/** The account-activity store's values (compact binary, a format byte first). */
export const accountActivitySerde: Serde<AccountActivity> = {
  serialize(activity: AccountActivity): Buffer {
    const out = new CompactWriter().uint(FORMAT);
    out.uint(activity.lastSpendAt + 1);
    const place = activity.lastCardPresent;
    out.uint(place === null ? 0 : 1);
    if (place !== null)
      out.uint(place.at).double(place.lat).double(place.lon).text(place.country).text(place.transactionId);
    out.uint(activity.recent.length);
    for (const spend of activity.recent) {
      out
        .uint(spend.at)
        .uint(KINDS.indexOf(spend.kind))
        .uint(CHANNELS.indexOf(spend.channel))
        .uint(spend.amountMinor === null ? 0 : 1);
      if (spend.amountMinor !== null) out.bigint(spend.amountMinor);
      writeNullableText(out, spend.merchantId);
      writeNullableText(out, spend.city);
      out.text(spend.transactionId);
    }
    out.uint(activity.highRiskMccs.length);
    for (const mcc of activity.highRiskMccs) out.text(mcc);
    const inflow = activity.inflow;
    out.uint(inflow === null ? 0 : 1);
    if (inflow !== null) {
      out.uint(inflow.at).bigint(inflow.amountMinor).text(inflow.transactionId).bigint(inflow.outflowMinor);
      out.uint(inflow.outflowTransactionIds.length);
      for (const id of inflow.outflowTransactionIds) out.text(id);
    }
    const usage = activity.usage;
    out.uint(usage === null ? 0 : 1);
    if (usage !== null) {
      out
        .uint(usage.day)
        .bigint(usage.daySpendMinor)
        .bigint(usage.dayAtmMinor)
        .bigint(usage.dayTransfersMinor)
        .uint(usage.month)
        .bigint(usage.monthSpendMinor);
    }
    out.uint(activity.lastAlertAt.size);
    for (const [rule, at] of activity.lastAlertAt) out.text(rule).uint(at);
    return out.toBuffer();
  },

  deserialize(bytes: Buffer): AccountActivity {
    const input = new CompactReader(bytes, SERDE);
    input.format(FORMAT);
    const lastSpendAt = input.uint() - 1;
    const lastCardPresent =
      input.uint() === 0
        ? null
        : {
            at: input.uint(),
            lat: input.double(),
            lon: input.double(),
            country: input.text(),
            transactionId: input.text(),
          };
    const recent: RecentSpend[] = new Array<RecentSpend>(input.uint());
    for (let i = 0; i < recent.length; i++) {
      const at = input.uint();
      const kind = KINDS[input.uint()] as SpendKind;
      const channel = CHANNELS[input.uint()] as Channel;
      const amountMinor = input.uint() === 0 ? null : input.bigint();
      recent[i] = {
        at,
        kind,
        channel,
        amountMinor,
        merchantId: readNullableText(input),
        city: readNullableText(input),
        transactionId: input.text(),
      };
    }
    const highRiskMccs: string[] = new Array<string>(input.uint());
    for (let i = 0; i < highRiskMccs.length; i++) highRiskMccs[i] = input.text();
    let inflow: InflowWatch | null = null;
    if (input.uint() === 1) {
      const at = input.uint();
      const amountMinor = input.bigint();
      const transactionId = input.text();
      const outflowMinor = input.bigint();
      const outflowTransactionIds: string[] = new Array<string>(input.uint());
      for (let i = 0; i < outflowTransactionIds.length; i++) outflowTransactionIds[i] = input.text();
      inflow = { at, amountMinor, transactionId, outflowMinor, outflowTransactionIds };
    }
    const usage: LimitUsage | null =
      input.uint() === 0
        ? null
        : {
            day: input.uint(),
            daySpendMinor: input.bigint(),
            dayAtmMinor: input.bigint(),
            dayTransfersMinor: input.bigint(),
            month: input.uint(),
            monthSpendMinor: input.bigint(),
          };
    const lastAlertAt = new Map<string, number>();
    for (let i = input.uint(); i > 0; i--) lastAlertAt.set(input.text(), input.uint());
    input.end();
    return { lastSpendAt, lastCardPresent, recent, highRiskMccs, inflow, usage, lastAlertAt };
  },
};
