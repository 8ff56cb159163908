import { z } from 'zod';
import { defineRule, exceedScore } from '../rule.ts';

const DAY = 86_400_000;

/**
 * A spend on an account that has not spent for `dormantDays` (takeover of a forgotten account).
 * Inflows do not wake an account (salaries and transfers arrive on their own); an account with no
 * spend on record is new, not dormant.
 */
export const dormantReactivation = defineRule({
  id: 'dormant-reactivation',
  description: 'a spend after months without one',
  parameters: z.strictObject({ dormantDays: z.number().int().min(1) }),
  evaluate(input, { dormantDays }) {
    if (input.spend === undefined) return undefined;
    const last = input.before.lastSpendAt;
    if (last < 0) return undefined;
    const idleDays = Math.floor((input.transaction.eventTime - last) / DAY);
    if (idleDays < dormantDays) return undefined;
    return {
      score: exceedScore(idleDays, dormantDays),
      transactionIds: [input.transaction.transactionId],
      evidence: [
        {
          measure: 'days-without-spend',
          value: BigInt(idleDays),
          threshold: BigInt(dormantDays),
          unit: 'days',
          window: null,
        },
      ],
      summary: `first spend after ${idleDays} days without one`,
    };
  },
});
