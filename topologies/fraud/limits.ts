import type { Serde } from '../../state/index.ts';
import { CompactReader, CompactWriter } from './compact-bytes.ts';

export const ACCOUNT_TIERS = ['N1', 'N2', 'N3', 'N4'] as const;
export type AccountTier = (typeof ACCOUNT_TIERS)[number];

export const LIMIT_NAMES = [
  'perTransactionMinor',
  'dailySpendMinor',
  'dailyAtmMinor',
  'monthlySpendMinor',
  'dailyTransfersMinor',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** A full set of limits, minor units of the rule set's currency. */
export type Limits = Record<LimitName, bigint>;

/** The value of a record on the account-limits topic (schemas/limit-update.avsc), as Avro decodes it. */
export interface LimitUpdate {
  accountId: string;
  tier: AccountTier;
  currency: string;
  perTransactionMinor: bigint | null;
  dailySpendMinor: bigint | null;
  dailyAtmMinor: bigint | null;
  monthlySpendMinor: bigint | null;
  dailyTransfersMinor: bigint | null;
  timeZone: string | null;
  /** ms since the epoch. */
  updatedAt: number;
}

/** What the account-limits store keeps per account: its latest update (the table of the topic). */
export type AccountLimits = LimitUpdate;

/** The limits in force for an account and the calendar they count in. */
export interface EffectiveLimits {
  tier: AccountTier;
  limits: Limits;
  /** Which limits come from the account's own overrides rather than its tier. */
  overridden: ReadonlySet<LimitName>;
  timeZone: string;
}

/**
 * The account's limits: its overrides where it has them, its tier's defaults elsewhere, the
 * default tier's when it has no record. Overrides in another currency than the rule set's are
 * ignored (amounts are never compared across currencies).
 */
export function effectiveLimits(
  record: AccountLimits | undefined,
  defaults: {
    tiers: Record<AccountTier, Limits>;
    defaultTier: AccountTier;
    timeZone: string;
    currency: string;
  },
): EffectiveLimits {
  const tier = record?.tier ?? defaults.defaultTier;
  const limits = { ...defaults.tiers[tier] };
  const overridden = new Set<LimitName>();
  if (record !== undefined && record.currency === defaults.currency) {
    for (const name of LIMIT_NAMES) {
      const value = record[name];
      if (value !== null) {
        limits[name] = value;
        overridden.add(name);
      }
    }
  }
  return { tier, limits, overridden, timeZone: record?.timeZone ?? defaults.timeZone };
}

const FORMAT = 1;

/** The account-limits store's values. */
export const accountLimitsSerde: Serde<AccountLimits> = {
  serialize(value: AccountLimits): Buffer {
    const out = new CompactWriter()
      .uint(FORMAT)
      .text(value.accountId)
      .uint(Math.max(0, ACCOUNT_TIERS.indexOf(value.tier)))
      .text(value.currency);
    for (const name of LIMIT_NAMES) {
      const limit = value[name];
      out.uint(limit === null ? 0 : 1);
      if (limit !== null) out.bigint(limit);
    }
    out.uint(value.timeZone === null ? 0 : 1);
    if (value.timeZone !== null) out.text(value.timeZone);
    return out.uint(value.updatedAt).toBuffer();
  },
  deserialize(bytes: Buffer): AccountLimits {
    const input = new CompactReader(bytes, 'account-limits');
    input.format(FORMAT);
    const accountId = input.text();
    const tier = ACCOUNT_TIERS[input.uint()] ?? 'N2';
    const currency = input.text();
    const limits = {} as Record<LimitName, bigint | null>;
    for (const name of LIMIT_NAMES) limits[name] = input.uint() === 0 ? null : input.bigint();
    const timeZone = input.uint() === 0 ? null : input.text();
    const updatedAt = input.uint();
    input.end();
    return { accountId, tier, currency, ...limits, timeZone, updatedAt };
  },
};
