import { z } from 'zod';
import { RECENT_LIMIT } from '../activity.ts';
import { defineRule, exceedScore } from '../rule.ts';

const HOUR = 3_600_000;

/**
 * Card testing: a stolen card checked with many small authorizations, often at one merchant,
 * before it is used for real. Counts the account's small card authorizations of the last hour.
 */
export const cardTesting = defineRule({
  id: 'card-testing',
  description: 'many small card authorizations within an hour, often at one merchant',
  parameters: z.strictObject({
    smallAmountMinor: z.number().int().positive(),
    minSmallAuthorizations: z.number().int().min(2).max(RECENT_LIMIT),
  }),
  evaluate(input, { smallAmountMinor, minSmallAuthorizations }) {
    const { transaction } = input;
    if (transaction.type !== 'AUTHORIZATION' || input.amountMinor === undefined) return undefined;
    if (input.amountMinor > BigInt(smallAmountMinor)) return undefined;
    const since = transaction.eventTime - HOUR;
    const small = input.recent.filter(
      (spend) =>
        spend.kind === 'card' &&
        spend.at > since &&
        spend.at <= transaction.eventTime &&
        spend.amountMinor !== null &&
        spend.amountMinor <= BigInt(smallAmountMinor),
    );
    if (small.length < minSmallAuthorizations) return undefined;
    const byMerchant = new Map<string, number>();
    for (const spend of small) {
      const merchant = spend.merchantId ?? '(none)';
      byMerchant.set(merchant, (byMerchant.get(merchant) ?? 0) + 1);
    }
    const atTopMerchant = Math.max(...byMerchant.values());
    const sharePercent = Math.round((100 * atTopMerchant) / small.length);
    return {
      score: Math.min(100, exceedScore(small.length, minSmallAuthorizations) + (sharePercent >= 50 ? 20 : 0)),
      transactionIds: small.map((spend) => spend.transactionId),
      evidence: [
        {
          measure: 'small-authorizations',
          value: BigInt(small.length),
          threshold: BigInt(minSmallAuthorizations),
          unit: 'count',
          window: '1h',
        },
        {
          measure: 'share-at-one-merchant',
          value: BigInt(sharePercent),
          threshold: 50n,
          unit: 'percent',
          window: '1h',
        },
      ],
      summary: `${small.length} card authorizations of at most ${smallAmountMinor} minor units in 1 h, ${sharePercent}% at one merchant`,
    };
  },
});
