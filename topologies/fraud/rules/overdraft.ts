import { z } from 'zod';
import { defineRule, money } from '../rule.ts';

/**
 * Available below zero right after a capture or a fee (a capture above its hold, a tip, a
 * currency difference, a fee on an empty account): from the balance state the transaction left.
 */
export const overdraft = defineRule({
  id: 'overdraft',
  description: 'available balance below zero after a capture or a fee',
  parameters: z.strictObject({}),
  evaluate(input) {
    const { transaction } = input;
    if (transaction.type !== 'CAPTURE' && transaction.type !== 'FEE') return undefined;
    const available = input.available.get(transaction.currency);
    if (available === undefined || available >= 0n) return undefined;
    return {
      score: 50,
      transactionIds: [transaction.transactionId],
      evidence: [
        { measure: 'available', value: available, threshold: 0n, unit: transaction.currency, window: null },
      ],
      summary: `available ${money(available, transaction.currency)} after a ${transaction.type.toLowerCase()}`,
    };
  },
});
