import { z } from 'zod';
import { defineRule, exceedScore, money } from '../rule.ts';

/**
 * A spend far above the account's own history: at least `multipleOfAverage` times its average
 * spend of the previous 30 days (this one left out), and at least `minAmountMinor`, once the
 * account has `minHistory` spends to average.
 */
export const amountAnomaly = defineRule({
  id: 'amount-anomaly',
  description: "a spend far above the account's own 30-day average",
  parameters: z.strictObject({
    multipleOfAverage: z.number().positive(),
    minAmountMinor: z.number().int().min(0),
    minHistory: z.number().int().min(1),
  }),
  evaluate(input, { multipleOfAverage, minAmountMinor, minHistory }) {
    const amount = input.amountMinor;
    if (input.spend === undefined || amount === undefined || amount < BigInt(minAmountMinor))
      return undefined;
    const month = input.window('30d').overall;
    const history = month.summedCount - 1;
    if (history < minHistory) return undefined;
    const averageMinor = (month.sumMinor - amount) / BigInt(history);
    if (averageMinor <= 0n) return undefined;
    // multiple × average without floating point: compare amount × 100 with average × round(multiple × 100).
    const thresholdMinor = (averageMinor * BigInt(Math.round(multipleOfAverage * 100))) / 100n;
    if (amount < thresholdMinor) return undefined;
    return {
      score: exceedScore(amount, thresholdMinor),
      transactionIds: [input.transaction.transactionId],
      evidence: [
        { measure: 'amount', value: amount, threshold: thresholdMinor, unit: input.currency, window: null },
        {
          measure: 'average-spend',
          value: averageMinor,
          threshold: averageMinor,
          unit: input.currency,
          window: '30d',
        },
        {
          measure: 'history',
          value: BigInt(history),
          threshold: BigInt(minHistory),
          unit: 'count',
          window: '30d',
        },
      ],
      summary: `spend of ${money(amount, input.currency)} is ${(Number(amount) / Number(averageMinor)).toFixed(1)}× the 30-day average of ${money(averageMinor, input.currency)}`,
    };
  },
});
