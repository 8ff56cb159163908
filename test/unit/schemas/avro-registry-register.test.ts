// ConfluentAvroRegistry.register when several instances set up a new subject at once (the pods of
// a new deployment): the registry client is a stand-in that answers as the registry did to the
// later of two real instances (product-end-to-end, 2026-12-06), so the retry policy is tested alone.
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { ConfluentAvroRegistry, type AvroSchemaDefinition } from '../../../schemas/index.ts';

const schema: AvroSchemaDefinition = {
  type: 'record',
  name: 'Payment',
  namespace: 'mx.saldo.test',
  fields: [],
};

/** The client's error when a subject's compatibility is not the one asked for. */
function compatibilityMismatch(): Error {
  return Object.assign(new Error('Compatibility does not match the configuration (BACKWARD != NONE)'), {
    name: 'ConfluentSchemaRegistryCompatibilityError',
  });
}

function clientAnswering(...answers: Array<Error | number>): { client: SchemaRegistry; calls: () => number } {
  let calls = 0;
  const client = {
    register: async () => {
      const answer = answers[Math.min(calls++, answers.length - 1)];
      if (answer instanceof Error) throw answer;
      return { id: answer };
    },
  } as unknown as SchemaRegistry;
  return { client, calls: () => calls };
}

describe('registering a subject another instance is setting up', () => {
  it('retries while the subject is registered but its compatibility not yet set', async () => {
    const { client, calls } = clientAnswering(compatibilityMismatch(), compatibilityMismatch(), 42);
    expect(await new ConfluentAvroRegistry(client).register('payments-value', schema)).toBe(42);
    expect(calls()).toBe(3);
  });

  it('retries when told the subject already exists', async () => {
    const exists = Object.assign(new Error('Subject already exists'), { status: 409 });
    const { client, calls } = clientAnswering(exists, 7);
    expect(await new ConfluentAvroRegistry(client).register('payments-value', schema)).toBe(7);
    expect(calls()).toBe(2);
  });

  it('gives up with the client’s message when the compatibility stays another (an operator’s choice)', async () => {
    const { client, calls } = clientAnswering(compatibilityMismatch());
    await expect(new ConfluentAvroRegistry(client).register('payments-value', schema)).rejects.toThrow(
      /Compatibility does not match the configuration \(BACKWARD != NONE\)/,
    );
    expect(calls()).toBe(5);
  });

  it('does not retry other failures', async () => {
    const { client, calls } = clientAnswering(Object.assign(new Error('Unauthorized'), { status: 401 }));
    await expect(new ConfluentAvroRegistry(client).register('payments-value', schema)).rejects.toThrow(
      /Unauthorized/,
    );
    expect(calls()).toBe(1);
  });
});
