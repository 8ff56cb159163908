import { describe, expect, it } from 'vitest';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { registryClientArgs } from '../../schemas/index.ts';
import { services, uniqueName } from '../support/services.ts';

// A money amount travels as Avro long minor units with its currency, never as a float.
const paymentV1 = {
  type: 'record' as const,
  name: 'Payment',
  namespace: 'mx.saldo.test',
  fields: [
    { name: 'transactionId', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string' },
  ],
};
// v2 adds a field with a default: readers on v2 can read data written with v1 (BACKWARD).
const paymentV2 = {
  ...paymentV1,
  fields: [...paymentV1.fields, { name: 'channel', type: 'string', default: 'unknown' }],
};
// Turning the amount into a string is incompatible with v2: a reader of it cannot read v2's longs.
const paymentIncompatible = {
  ...paymentV2,
  fields: paymentV2.fields.map((f) =>
    f.name === 'amountMinor' ? { name: 'amountMinor', type: 'string' } : f,
  ),
};

describe('the schema registry serves the Confluent API that saldo uses', () => {
  const registry = new SchemaRegistry(registryClientArgs(services().schemaRegistryUrl));
  const subject = `${uniqueName('payments')}-value`;

  it('registers an Avro schema, encodes and decodes through it', async () => {
    const { id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(paymentV1) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(id).toBeGreaterThan(0);

    const payment = { transactionId: 'tx-1', amountMinor: 123_45, currency: 'MXN' };
    const encoded = await registry.encode(id, payment);
    // Confluent wire format: magic byte 0, then the 4-byte schema id.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);

    // A fresh client knows nothing: decoding must fetch the schema by id from the registry.
    const fresh = new SchemaRegistry(registryClientArgs(services().schemaRegistryUrl));
    expect(await fresh.decode(encoded)).toEqual(payment);
    expect(await fresh.getLatestSchemaId(subject)).toBe(id);
  });

  it('accepts a backward-compatible v2, rejects an incompatible one, and v2 readers read v1 data', async () => {
    const v1Id = await registry.getLatestSchemaId(subject);
    const { id: v2Id } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(paymentV2) },
      { subject, compatibility: COMPATIBILITY.BACKWARD },
    );
    expect(v2Id).not.toBe(v1Id);
    expect(await registry.getLatestSchemaId(subject)).toBe(v2Id);
    expect(await registry.getRegistryId(subject, 1)).toBe(v1Id);

    await expect(
      registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(paymentIncompatible) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      ),
    ).rejects.toThrow(/Incompatible/i);
    expect(await registry.getLatestSchemaId(subject)).toBe(v2Id);

    const writtenWithV1 = await registry.encode(v1Id, {
      transactionId: 'tx-2',
      amountMinor: 500,
      currency: 'MXN',
    });
    const readWithV2 = await registry.decode(writtenWithV1, {
      [SchemaType.AVRO]: { readerSchema: paymentV2 },
    });
    expect(readWithV2).toEqual({
      transactionId: 'tx-2',
      amountMinor: 500,
      currency: 'MXN',
      channel: 'unknown',
    });
  });
});
