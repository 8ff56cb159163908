import { z } from 'zod';
import { defineRule } from '../rule.ts';

/** MCCs are four digits (ISO 18245). */
const mcc = z.string().regex(/^\d{4}$/, 'an MCC is four digits');

/**
 * The account's first payment to a high-risk merchant category (gambling, quasi-cash, money
 * transfer, stored-value loads): the categories it paid before are remembered, so a habit does
 * not alert again. A category added to the list later has no history: its next payment alerts.
 */
export const highRiskMcc = defineRule({
  id: 'high-risk-mcc',
  description: 'the first payment of an account to a high-risk merchant category',
  parameters: z.strictObject({ mccs: z.array(mcc).min(1) }),
  evaluate(input, { mccs }) {
    const { transaction } = input;
    const category = transaction.merchant?.mcc;
    if (transaction.type !== 'AUTHORIZATION' || category === undefined || !mccs.includes(category))
      return undefined;
    if (input.before.highRiskMccs.includes(category)) return undefined;
    return {
      score: 60,
      transactionIds: [transaction.transactionId],
      evidence: [
        { measure: `payments-to-mcc-${category}`, value: 1n, threshold: 1n, unit: 'count', window: null },
      ],
      summary: `first payment to high-risk category ${category}`,
    };
  },
});
