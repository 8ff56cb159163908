import { describe, expect, it } from 'vitest';
import { SerdeError } from '../../../state/index.ts';
import {
  IncompatibleSchemaError,
  InMemoryAvroRegistry,
  TRANSACTION_SCHEMA,
  avroSerde,
  parseAvroSchema,
  type AvroSchemaDefinition,
} from '../../../schemas/index.ts';

const payment: AvroSchemaDefinition = {
  type: 'record',
  name: 'Payment',
  namespace: 'mx.saldo.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ],
};
interface Payment {
  id: string;
  amountMinor: bigint;
  at: number;
}
const ctx = { topic: 'payments', part: 'value' as const };
const value: Payment = { id: 'p1', amountMinor: 2n ** 60n + 7n, at: 1_796_083_200_123 };

describe('Avro serde through a schema registry', () => {
  it('registers the schema for <topic>-value on first use, then encodes synchronously with that id', async () => {
    const registry = new InMemoryAvroRegistry();
    await registry.register('other-value', TRANSACTION_SCHEMA); // so that the payment schema gets id 2
    const serde = avroSerde<Payment>(registry, payment);
    const first = serde.serialize(value, ctx);
    expect(first).toBeInstanceOf(Promise);
    const bytes = await first;
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(2);
    const second = serde.serialize(value, ctx);
    expect(second).toBeInstanceOf(Buffer);
    expect(second).toEqual(bytes);
  });

  it('decodes with the writer schema fetched once by id, then synchronously; longs stay exact, times are numbers', async () => {
    const registry = new InMemoryAvroRegistry();
    const bytes = await avroSerde<Payment>(registry, payment).serialize(value, ctx);
    const reader = avroSerde<Payment>(registry, payment);
    const first = reader.deserialize(bytes, ctx);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual(value);
    expect(reader.deserialize(bytes, ctx)).toEqual(value);
  });

  it('reads records of an older writer schema with the fields that writer had', async () => {
    const registry = new InMemoryAvroRegistry();
    const v1: AvroSchemaDefinition = { ...payment, fields: payment.fields.slice(0, 2) };
    const v1Bytes = await avroSerde(registry, v1).serialize({ id: 'old', amountMinor: 5n }, ctx);
    expect(await avroSerde<Payment>(registry, payment).deserialize(v1Bytes, ctx)).toEqual({
      id: 'old',
      amountMinor: 5n,
    });
  });

  it('asks the registry again after a failed registration, and once for records that wait together', async () => {
    const inner = new InMemoryAvroRegistry();
    let calls = 0;
    const flaky = {
      register: async (subject: string, schema: AvroSchemaDefinition) => {
        calls += 1;
        if (calls === 1) throw new Error('registry unavailable');
        return inner.register(subject, schema);
      },
      typeOf: (id: number) => inner.typeOf(id),
    };
    const serde = avroSerde<Payment>(flaky, payment);
    await expect(serde.serialize(value, ctx)).rejects.toThrow('registry unavailable');
    const both = await Promise.all([serde.serialize(value, ctx), serde.serialize(value, ctx)]);
    expect(both[0]).toEqual(both[1]);
    expect(calls).toBe(2);
  });

  it('refuses a value that does not fit the schema, naming the path', () => {
    const serde = avroSerde<Payment>(new InMemoryAvroRegistry(), payment);
    expect(() => serde.serialize({ ...value, amountMinor: 12 as unknown as bigint }, ctx)).toThrow(
      /value does not fit the schema at amountMinor/,
    );
    expect(() => serde.serialize({ ...value, at: 1.5 }, ctx)).toThrow(/at at/);
  });

  it('refuses such a value as it encodes once the subject is registered, and stays usable', async () => {
    const serde = avroSerde<Payment>(new InMemoryAvroRegistry(), payment);
    const valid = await serde.serialize(value, ctx);
    for (const bad of [
      { ...value, amountMinor: 12 as unknown as bigint },
      { ...value, at: 1.5 },
      { ...value, id: undefined as unknown as string },
    ]) {
      expect(() => serde.serialize(bad, ctx)).toThrow(SerdeError);
    }
    expect(() => serde.serialize({ ...value, amountMinor: 12 as unknown as bigint }, ctx)).toThrow(
      /value does not fit the schema at amountMinor/,
    );
    expect(serde.serialize(value, ctx)).toEqual(valid);
  });

  it('refuses bytes that are not the Confluent wire format, and an id the registry does not know', async () => {
    const serde = avroSerde<Payment>(new InMemoryAvroRegistry(), payment);
    expect(() => serde.deserialize(Buffer.from('{"id":"p1"}'), ctx)).toThrow(SerdeError);
    const unknownId = Buffer.concat([Buffer.from([0, 0, 0, 0, 99]), Buffer.from([2, 0x61])]);
    await expect(serde.deserialize(unknownId, ctx)).rejects.toThrow(/cannot fetch schema 99/);
  });

  it('refuses truncated or trailing bytes', async () => {
    const registry = new InMemoryAvroRegistry();
    const serde = avroSerde<Payment>(registry, payment);
    const bytes = await serde.serialize(value, ctx);
    await serde.deserialize(bytes, ctx);
    expect(() => serde.deserialize(bytes.subarray(0, bytes.length - 2), ctx)).toThrow(SerdeError);
    expect(() => serde.deserialize(Buffer.concat([bytes, Buffer.from([1])]), ctx)).toThrow(SerdeError);
  });

  it('grows its encoding buffer for a record larger than it', async () => {
    const serde = avroSerde<Payment>(new InMemoryAvroRegistry(), payment);
    const big = { ...value, id: 'x'.repeat(100_000) };
    const bytes = await serde.serialize(big, ctx);
    expect(await serde.deserialize(bytes, ctx)).toEqual(big);
  });
});

describe('the in-memory registry', () => {
  it('checks BACKWARD compatibility against the subject’s latest schema', async () => {
    const registry = new InMemoryAvroRegistry();
    const v1 = await registry.register('s-value', payment);
    const withOptional: AvroSchemaDefinition = {
      ...payment,
      fields: [...payment.fields, { name: 'note', type: ['null', 'string'], default: null }],
    };
    const v2 = await registry.register('s-value', withOptional);
    expect(v2).not.toBe(v1);
    const withRequired: AvroSchemaDefinition = {
      ...payment,
      fields: [...payment.fields, { name: 'must', type: 'string' }],
    };
    await expect(registry.register('s-value', withRequired)).rejects.toBeInstanceOf(IncompatibleSchemaError);
    expect(await registry.register('s-value', payment)).toBe(v1);
    expect(parseAvroSchema(JSON.stringify(payment)).equals(await registry.typeOf(v1))).toBe(true);
  });
});
