import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TRANSACTION_SCHEMA, parseAvroSchema, type AvroSchemaDefinition } from '../../../schemas/index.ts';
import { DAY, MINUTE, ProductDriver, T0, confluentBytes, transaction } from '../../support/product-driver.ts';

let product: ProductDriver;
beforeEach(async () => {
  product = await ProductDriver.create();
  // Something to keep: a balance with a hold, which no bad record may change.
  await product.send(
    transaction({ transactionId: 'd1', type: 'DEPOSIT', amountMinor: 10_000n }),
    transaction({ transactionId: 'a1', type: 'AUTHORIZATION', amountMinor: 4_000n }),
  );
});
afterEach(async () => {
  await product.close();
});

/** Nothing but the dead letter: the balance, the snapshots and the admitted ids are as before. */
function expectNothingElseChanged(): void {
  expect(product.balance()).toEqual([10_000n, 4_000n, 6_000n]);
  expect(product.snapshots()).toHaveLength(2);
}

async function deadLetterCount(reason: string, code?: string): Promise<number> {
  const metric = await product.driver.metrics.registry.getSingleMetric('saldo_dead_letters_total')?.get();
  return (metric?.values ?? [])
    .filter((value) => value.labels.reason === reason && (code === undefined || value.labels.code === code))
    .reduce((sum, value) => sum + value.value, 0);
}

describe('bad input goes to the dead-letter topic with its reason, and changes nothing else', () => {
  it('bytes that are not Avro in the Confluent wire format: reason deserialization', async () => {
    await product.driver.pipeRaw('transactions', {
      key: Buffer.from('acct-1'),
      value: Buffer.from('{"json":1}'),
    });
    expect(product.deadLetters()).toEqual([
      expect.objectContaining({ reason: 'deserialization', code: undefined }),
    ]);
    expect(await deadLetterCount('deserialization')).toBe(1);
    expectNothingElseChanged();
  });

  it('a type this saldo does not know (from a newer writer schema): code unknown-type', async () => {
    const fields = TRANSACTION_SCHEMA.fields as Array<{ name: string; type: unknown }>;
    const v2: AvroSchemaDefinition = {
      ...TRANSACTION_SCHEMA,
      fields: fields.map((field) =>
        field.name === 'type'
          ? {
              ...field,
              type: { ...(field.type as object), symbols: ['AUTHORIZATION', 'CAPTURE', 'CASHBACK'] },
            }
          : field,
      ),
    };
    const id = await product.registry.register('transactions-value-v2', v2);
    const body = parseAvroSchema(JSON.stringify(v2)).toBuffer({
      ...transaction({ transactionId: 'x1' }),
      type: 'CASHBACK',
    });
    await product.driver.pipeRaw('transactions', {
      key: Buffer.from('acct-1'),
      value: confluentBytes(id, body),
    });
    expect(product.deadLetters()).toEqual([
      { reason: 'invalid', code: 'unknown-type', message: 'unknown transaction type "CASHBACK"' },
    ]);
    expect(await deadLetterCount('invalid', 'unknown-type')).toBe(1);
    expectNothingElseChanged();
  });

  it('a non-positive amount: code non-positive-amount', async () => {
    await product.send(
      transaction({ transactionId: 'z0', amountMinor: 0n }),
      transaction({ transactionId: 'z1', type: 'WITHDRAWAL', amountMinor: -500n }),
    );
    expect(product.deadLetters().map((letter) => letter.code)).toEqual([
      'non-positive-amount',
      'non-positive-amount',
    ]);
    expectNothingElseChanged();
  });

  it('a currency that is not an ISO 4217 code: code bad-currency', async () => {
    await product.send(
      transaction({ transactionId: 'c1', currency: 'XYZ' }),
      transaction({ transactionId: 'c2', currency: 'mxn' }),
      transaction({ transactionId: 'c3', currency: 'PESOS' }),
    );
    expect(product.deadLetters().map((letter) => letter.code)).toEqual([
      'bad-currency',
      'bad-currency',
      'bad-currency',
    ]);
    expectNothingElseChanged();
  });

  it('a capture whose currency differs from its hold: code currency-mismatch', async () => {
    await product.send(
      transaction({
        transactionId: 'c1',
        type: 'CAPTURE',
        authorizationId: 'a1',
        amountMinor: 4_000n,
        currency: 'USD',
      }),
    );
    expect(product.deadLetters()).toEqual([
      {
        reason: 'invalid',
        code: 'currency-mismatch',
        message: 'CAPTURE c1 is in USD but authorization a1 holds MXN',
      },
    ]);
    expectNothingElseChanged();
    // The id was not admitted: the same capture, corrected, still counts.
    await product.send(
      transaction({
        transactionId: 'c1',
        type: 'CAPTURE',
        authorizationId: 'a1',
        amountMinor: 4_000n,
        currency: 'MXN',
      }),
    );
    expect(product.balance()).toEqual([6_000n, 0n, 6_000n]);
  });

  it('a capture, reversal or incremental without its authorization id: code missing-authorization-id', async () => {
    await product.send(
      transaction({ transactionId: 'c1', type: 'CAPTURE', authorizationId: null }),
      transaction({ transactionId: 'r1', type: 'REVERSAL', authorizationId: '' }),
    );
    expect(product.deadLetters().map((letter) => letter.code)).toEqual([
      'missing-authorization-id',
      'missing-authorization-id',
    ]);
    expectNothingElseChanged();
  });

  it('a record keyed by something else than its account: code account-key-mismatch', async () => {
    await product.driver.pipe('transactions', { key: 'acct-2', value: transaction({ transactionId: 'k1' }) });
    expect(product.deadLetters().map((letter) => letter.code)).toEqual(['account-key-mismatch']);
    expectNothingElseChanged();
  });

  it('an event time more than a day ahead of the wall clock: code timestamp-in-future, and stream time stays', async () => {
    await product.driver.pipe('transactions', {
      key: 'acct-1',
      value: transaction({ transactionId: 'f1', eventTime: T0 + 400 * DAY }),
    });
    expect(product.deadLetters().map((letter) => letter.code)).toEqual(['timestamp-in-future']);
    expectNothingElseChanged();
    // Had it moved stream time, the hold would have expired with the next record.
    await product.send(transaction({ transactionId: 'd2', accountId: 'acct-2', eventTime: T0 + MINUTE }));
    expect(product.balance()).toEqual([10_000n, 4_000n, 6_000n]);
  });
});
