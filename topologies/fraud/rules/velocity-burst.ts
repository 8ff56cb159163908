import { z } from 'zod';
import { defineRule, exceedScore, idsOf, type Evidence } from '../rule.ts';

/** Many spends in a short time: more than maxPerMinute in 1 min, or more than maxPerHour in 1 h. */
export const velocityBurst = defineRule({
  id: 'velocity-burst',
  description:
    'more spends (card, ATM, transfer) in a sliding minute or hour than the account normally makes',
  parameters: z.strictObject({
    maxPerMinute: z.number().int().min(1),
    maxPerHour: z.number().int().min(1),
  }),
  evaluate(input, { maxPerMinute, maxPerHour }) {
    if (input.spend === undefined) return undefined;
    const at = input.transaction.eventTime;
    const minute = input.window('1m').overall.count;
    const hour = input.window('1h').overall.count;
    const evidence: Evidence[] = [];
    if (minute > maxPerMinute)
      evidence.push({
        measure: 'spend-count',
        value: BigInt(minute),
        threshold: BigInt(maxPerMinute),
        unit: 'count',
        window: '1m',
      });
    if (hour > maxPerHour)
      evidence.push({
        measure: 'spend-count',
        value: BigInt(hour),
        threshold: BigInt(maxPerHour),
        unit: 'count',
        window: '1h',
      });
    if (evidence.length === 0) return undefined;
    const spanMs = minute > maxPerMinute ? 70_000 : 3_600_000;
    return {
      score: Math.max(exceedScore(minute, maxPerMinute + 1), exceedScore(hour, maxPerHour + 1)),
      transactionIds: idsOf(input.recent, (spend) => spend.at > at - spanMs),
      evidence,
      summary: `${minute} spends in 1 min, ${hour} in 1 h (limits ${maxPerMinute} and ${maxPerHour})`,
    };
  },
});
