import { z } from 'zod';
import { RECENT_LIMIT } from '../activity.ts';
import { defineRule, exceedScore } from '../rule.ts';

const HOUR = 3_600_000;

/** ATM cash-out: several withdrawals within an hour at several ATMs or in several cities. */
export const atmCashOut = defineRule({
  id: 'atm-cash-out',
  description: 'several ATM withdrawals within an hour, at several ATMs or in several cities',
  parameters: z.strictObject({
    minWithdrawals: z.number().int().min(2).max(RECENT_LIMIT),
    minDistinctCities: z.number().int().min(1),
    minDistinctAtms: z.number().int().min(1),
  }),
  evaluate(input, { minWithdrawals, minDistinctCities, minDistinctAtms }) {
    if (input.spend !== 'atm') return undefined;
    const at = input.transaction.eventTime;
    const withdrawals = input.recent.filter(
      (spend) => spend.kind === 'atm' && spend.at > at - HOUR && spend.at <= at,
    );
    if (withdrawals.length < minWithdrawals) return undefined;
    const cities = new Set(withdrawals.flatMap((spend) => (spend.city === null ? [] : [spend.city]))).size;
    const atms = new Set(
      withdrawals.flatMap((spend) => (spend.merchantId === null ? [] : [spend.merchantId])),
    ).size;
    if (cities < minDistinctCities && atms < minDistinctAtms) return undefined;
    return {
      score: Math.max(
        exceedScore(withdrawals.length, minWithdrawals),
        exceedScore(cities, minDistinctCities),
      ),
      transactionIds: withdrawals.map((spend) => spend.transactionId),
      evidence: [
        {
          measure: 'atm-withdrawals',
          value: BigInt(withdrawals.length),
          threshold: BigInt(minWithdrawals),
          unit: 'count',
          window: '1h',
        },
        {
          measure: 'distinct-cities',
          value: BigInt(cities),
          threshold: BigInt(minDistinctCities),
          unit: 'count',
          window: '1h',
        },
        {
          measure: 'distinct-atms',
          value: BigInt(atms),
          threshold: BigInt(minDistinctAtms),
          unit: 'count',
          window: '1h',
        },
      ],
      summary: `${withdrawals.length} ATM withdrawals in 1 h at ${atms} ATMs in ${cities} cities`,
    };
  },
});
