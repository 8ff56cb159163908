import { z } from 'zod';
import { ACCOUNT_TIERS, LIMIT_NAMES, type AccountTier, type LimitName, type Limits } from '../limits.ts';
import { calendarLabel, isTimeZone } from '../calendar.ts';
import { defineRule, exceedScore, money, type Evidence } from '../rule.ts';

const limitAmount = z
  .number()
  .int()
  .positive()
  .transform((n) => BigInt(n));
const tierLimits = z.strictObject(
  Object.fromEntries(LIMIT_NAMES.map((name) => [name, limitAmount])) as Record<LimitName, typeof limitAmount>,
);

export const limitDefaultsSchema = z.strictObject({
  timeZone: z
    .string()
    .refine(isTimeZone, { error: (issue) => `'${String(issue.input)}' is not an IANA time zone` }),
  defaultTier: z.enum(ACCOUNT_TIERS),
  tiers: z.strictObject(
    Object.fromEntries(ACCOUNT_TIERS.map((tier) => [tier, tierLimits])) as Record<
      AccountTier,
      typeof tierLimits
    >,
  ),
});

export type LimitDefaults = {
  timeZone: string;
  defaultTier: AccountTier;
  tiers: Record<AccountTier, Limits>;
};

/** The measure, window and used amount each limit is checked with. */
const CHECKS: ReadonlyArray<{ name: LimitName; measure: string; period: 'none' | 'day' | 'month' }> = [
  { name: 'perTransactionMinor', measure: 'amount', period: 'none' },
  { name: 'dailySpendMinor', measure: 'daily-spend', period: 'day' },
  { name: 'dailyAtmMinor', measure: 'daily-atm', period: 'day' },
  { name: 'monthlySpendMinor', measure: 'monthly-spend', period: 'month' },
  { name: 'dailyTransfersMinor', measure: 'daily-transfers', period: 'day' },
];

/**
 * A spend over one of the account's limits (from account-limits, else its tier's): per
 * transaction, daily card+ATM spend, daily ATM, monthly spend (card, ATM and transfers), daily
 * transfers; days and months of the account's time zone.
 */
export const limitBreach = defineRule({
  id: 'limit-breach',
  description: "a spend over one of the account's limits in its calendar day or month",
  parameters: limitDefaultsSchema,
  evaluate(input) {
    const amount = input.amountMinor;
    if (input.spend === undefined || amount === undefined) return undefined;
    const usage = input.usage;
    if (usage === null) return undefined;
    const used: Record<LimitName, bigint> = {
      perTransactionMinor: amount,
      dailySpendMinor: input.spend === 'transfer' ? 0n : usage.daySpendMinor,
      dailyAtmMinor: input.spend === 'atm' ? usage.dayAtmMinor : 0n,
      monthlySpendMinor: usage.monthSpendMinor,
      dailyTransfersMinor: input.spend === 'transfer' ? usage.dayTransfersMinor : 0n,
    };
    const evidence: Evidence[] = [];
    let score = 0;
    for (const check of CHECKS) {
      const limit = input.limits.limits[check.name];
      if (used[check.name] <= limit) continue;
      evidence.push({
        measure: check.measure,
        value: used[check.name],
        threshold: limit,
        unit: input.currency,
        window:
          check.period === 'day'
            ? calendarLabel(usage.day)
            : check.period === 'month'
              ? calendarLabel(usage.month)
              : null,
      });
      score = Math.max(score, exceedScore(used[check.name], limit));
    }
    if (evidence.length === 0) return undefined;
    const first = evidence[0] as Evidence;
    return {
      score,
      transactionIds: [input.transaction.transactionId],
      evidence,
      summary: `${first.measure} ${money(first.value, input.currency)} over the limit of ${money(first.threshold, input.currency)} (tier ${input.limits.tier}${input.limits.overridden.size > 0 ? ', with overrides' : ''})`,
    };
  },
});
