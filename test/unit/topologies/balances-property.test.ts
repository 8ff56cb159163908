import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TransactionRecord } from '../../../topologies/transactions/transaction.ts';
import { HOUR, ProductDriver, T0, transaction } from '../../support/product-driver.ts';

/**
 * For random sequences of transactions, shuffled and with duplicates, the balances the topology
 * keeps equal an independent fold of the de-duplicated transactions. The fold below knows nothing
 * of holds as records, order or the topology's code: it groups the transactions of each
 * authorization and sums amounts.
 */

const ACCOUNTS = ['acct-a', 'acct-b'];
const CURRENCIES = ['MXN', 'USD'];
const CREDIT = new Set(['DEPOSIT', 'REFUND', 'TRANSFER_IN', 'CHARGEBACK']);
const DEBIT = new Set(['WITHDRAWAL', 'TRANSFER_OUT', 'FEE']);

type Balances = Map<string, { ledger: bigint; held: bigint }>;

/** The reference: first occurrence of each id wins; per authorization, held = 0 once captured. */
function independentFold(arrivals: TransactionRecord[]): Balances {
  const firstById = new Map<string, TransactionRecord>();
  for (const t of arrivals) if (!firstById.has(t.transactionId)) firstById.set(t.transactionId, t);
  const balances: Balances = new Map();
  const at = (account: string, currency: string) => {
    const key = `${account}/${currency}`;
    let balance = balances.get(key);
    if (balance === undefined) balances.set(key, (balance = { ledger: 0n, held: 0n }));
    return balance;
  };
  const groups = new Map<string, TransactionRecord[]>();
  for (const t of firstById.values()) {
    if (CREDIT.has(t.type)) at(t.accountId, t.currency).ledger += t.amountMinor;
    else if (DEBIT.has(t.type) || t.type === 'CAPTURE') at(t.accountId, t.currency).ledger -= t.amountMinor;
    const group = t.type === 'AUTHORIZATION' ? t.transactionId : t.authorizationId;
    if (group !== null) groups.set(group, [...(groups.get(group) ?? []), t]);
  }
  for (const members of groups.values()) {
    const authorization = members.find((t) => t.type === 'AUTHORIZATION');
    if (authorization === undefined || members.some((t) => t.type === 'CAPTURE')) continue;
    const sum = (type: string) =>
      members.filter((t) => t.type === type).reduce((s, t) => s + t.amountMinor, 0n);
    const held = sum('AUTHORIZATION') + sum('INCREMENTAL_AUTHORIZATION') - sum('REVERSAL');
    if (held > 0n) at(authorization.accountId, authorization.currency).held += held;
  }
  return balances;
}

const amount = fc.bigInt({ min: 1n, max: 500_000n });
const eventTime = fc.integer({ min: T0, max: T0 + 20 * HOUR });

let storyCount = 0;
/**
 * One story: a posted transaction, or an authorization with reversals and at most a capture, or
 * one with incrementals and reversals and no capture (an incremental after the capture holds
 * anew, so its order matters by design), or a capture or reversal whose authorization never comes.
 */
const story: fc.Arbitrary<TransactionRecord[]> = fc
  .record({
    kind: fc.constantFrom('posted', 'captured', 'incremented', 'lone-capture', 'lone-reversal'),
    account: fc.constantFrom(...ACCOUNTS),
    currency: fc.constantFrom(...CURRENCIES),
    postedType: fc.constantFrom(...CREDIT, ...DEBIT),
    first: amount,
    others: fc.array(amount, { maxLength: 3 }),
    capture: fc.option(amount, { nil: undefined }),
    time: eventTime,
  })
  .map(({ kind, account, currency, postedType, first, others, capture, time }) => {
    storyCount += 1;
    const id = `s${storyCount}`;
    const base = { accountId: account, currency, eventTime: time };
    const related = (type: TransactionRecord['type'], suffix: string, amountMinor: bigint) =>
      transaction({ ...base, transactionId: `${id}-${suffix}`, type, amountMinor, authorizationId: id });
    switch (kind) {
      case 'posted':
        return [transaction({ ...base, transactionId: id, type: postedType, amountMinor: first })];
      case 'captured':
        return [
          transaction({ ...base, transactionId: id, type: 'AUTHORIZATION', amountMinor: first }),
          ...others.map((a, i) => related('REVERSAL', `r${i}`, a)),
          ...(capture === undefined ? [] : [related('CAPTURE', 'c', capture)]),
        ];
      case 'incremented':
        return [
          transaction({ ...base, transactionId: id, type: 'AUTHORIZATION', amountMinor: first }),
          ...others.map((a, i) =>
            related(i % 2 === 0 ? 'INCREMENTAL_AUTHORIZATION' : 'REVERSAL', `x${i}`, a),
          ),
        ];
      case 'lone-capture':
        return [related('CAPTURE', 'c', first)];
      default:
        return [related('REVERSAL', 'r', first)];
    }
  });

/** Stories flattened, shuffled, and some transactions sent again (exact copies or altered). */
const arrivals: fc.Arbitrary<TransactionRecord[]> = fc
  .array(story, { minLength: 1, maxLength: 12 })
  .map((stories) => stories.flat())
  .chain((events) => fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }))
  .chain((shuffled) =>
    fc
      .array(
        fc.record({
          from: fc.nat(shuffled.length - 1),
          to: fc.nat(shuffled.length),
          alterAmount: fc.option(amount, { nil: undefined }),
        }),
        { maxLength: 6 },
      )
      .map((duplicates) => {
        const sequence = [...shuffled];
        for (const { from, to, alterAmount } of duplicates) {
          const original = shuffled[from] as TransactionRecord;
          sequence.splice(
            to,
            0,
            alterAmount === undefined ? original : { ...original, amountMinor: alterAmount },
          );
        }
        return sequence;
      }),
  );

describe('balances: property', () => {
  it('equal an independent fold of the de-duplicated transactions, whatever the order and the duplicates', async () => {
    await fc.assert(
      fc.asyncProperty(arrivals, async (sequence) => {
        const product = await ProductDriver.create();
        try {
          await product.send(...sequence);
          const expected = independentFold(sequence);
          for (const account of ACCOUNTS) {
            for (const currency of CURRENCIES) {
              const reference = expected.get(`${account}/${currency}`) ?? { ledger: 0n, held: 0n };
              expect(product.balance(account, currency)).toEqual([
                reference.ledger,
                reference.held,
                reference.ledger - reference.held,
              ]);
            }
          }
          expect(product.deadLetters()).toEqual([]);
        } finally {
          await product.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
