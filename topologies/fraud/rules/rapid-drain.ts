import { z } from 'zod';
import { parseDuration } from '../../../processor/durations.ts';
import { defineRule, exceedScore, money } from '../rule.ts';

/**
 * Rapid drain (mirroring, mule accounts): a large inflow, then most of it spent or sent out
 * within a short time. The account's last inflow of at least minInflowMinor is watched, and what
 * goes out after it is added up.
 */
export const rapidDrain = defineRule({
  id: 'rapid-drain',
  description: 'a large deposit or incoming transfer, then most of it out within hours',
  parameters: z.strictObject({
    minInflowMinor: z.number().int().positive(),
    drainPercent: z.number().int().min(1).max(100),
    within: z.string().transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `'${text}' is not a duration such as 30m, 6h or 1d` });
        return z.NEVER;
      }
      return ms;
    }),
  }),
  evaluate(input, { drainPercent, within }) {
    const amount = input.amountMinor;
    if (input.spend === undefined || amount === undefined) return undefined;
    const inflow = input.before.inflow;
    if (inflow === null) return undefined;
    const at = input.transaction.eventTime;
    if (at < inflow.at || at - inflow.at > within) return undefined;
    const outflow = inflow.outflowMinor + amount;
    const threshold = (inflow.amountMinor * BigInt(drainPercent)) / 100n;
    if (outflow < threshold) return undefined;
    return {
      score: exceedScore(outflow, threshold),
      transactionIds: [
        inflow.transactionId,
        ...inflow.outflowTransactionIds,
        input.transaction.transactionId,
      ],
      evidence: [
        { measure: 'outflow-since-inflow', value: outflow, threshold, unit: input.currency, window: null },
        {
          measure: 'inflow',
          value: inflow.amountMinor,
          threshold: inflow.amountMinor,
          unit: input.currency,
          window: null,
        },
        {
          measure: 'minutes-since-inflow',
          value: BigInt(Math.round((at - inflow.at) / 60_000)),
          threshold: BigInt(Math.round(within / 60_000)),
          unit: 'minutes',
          window: null,
        },
      ],
      summary: `${money(outflow, input.currency)} out within ${Math.round((at - inflow.at) / 60_000)} min of an inflow of ${money(inflow.amountMinor, input.currency)}`,
    };
  },
});
