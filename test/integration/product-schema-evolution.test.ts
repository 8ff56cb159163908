import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { StreamsApp } from '../../processor/index.ts';
import {
  ConfluentAvroRegistry,
  TRANSACTION_SCHEMA,
  avroSerde,
  productSerdes,
  registerProductSchemas,
  type AvroSchemaDefinition,
} from '../../schemas/index.ts';
import { prefixedProductTopics, productTopology } from '../../topologies/product.ts';
import { createTopic, testKafka } from '../support/kafka.ts';
import { transaction } from '../support/product-driver.ts';
import { connectKafkaSink } from '../../cli/generate/index.ts';
import { readLatestSnapshots } from '../../cli/verify/balances-check.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import { services, uniqueName } from '../support/services.ts';

const fields = TRANSACTION_SCHEMA.fields as Array<{ name: string }>;

/** v2: a new optional field, with a default: BACKWARD compatible. */
const v2: AvroSchemaDefinition = {
  ...TRANSACTION_SCHEMA,
  fields: [...fields, { name: 'installments', type: ['null', 'int'], default: null }],
};

/** v3: amountMinor becomes a string: a reader on v3 cannot read what v2 wrote. */
const v3: AvroSchemaDefinition = {
  ...v2,
  fields: (v2.fields as Array<{ name: string }>).map((field) =>
    field.name === 'amountMinor' ? { name: 'amountMinor', type: 'string' } : field,
  ),
};

describe('transaction schema evolution through the real registry', () => {
  let kafka: Kafka;
  let stateDir: string;
  const id = uniqueName('evolution');
  const topics = prefixedProductTopics(id);

  beforeAll(async () => {
    kafka = testKafka();
    stateDir = await mkdtemp(join(tmpdir(), 'saldo-evolution-'));
    await createTopic(kafka, topics.transactions, 2);
    await createTopic(kafka, topics.accountLimits, 2);
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('reads transactions from a producer on v2 (a new optional field), and the registry refuses an incompatible v3', async () => {
    const registryUrl = services().schemaRegistryUrl;
    const registry = ConfluentAvroRegistry.connect(registryUrl);
    await registerProductSchemas(registry, topics);
    const app = new StreamsApp(productTopology({ topics, serdes: productSerdes(registry) }), {
      applicationId: id,
      brokers: services().kafkaBrokers,
      stateDir,
      logLevel: 'warn',
      createOutputTopics: true,
    });
    await app.start();
    try {
      const now = Date.now();
      const written = [
        {
          ...transaction({ accountId: 'acct-v2', type: 'DEPOSIT', amountMinor: 50_000n, eventTime: now }),
          installments: null,
        },
        {
          ...transaction({
            accountId: 'acct-v2',
            type: 'WITHDRAWAL',
            amountMinor: 1_250n,
            eventTime: now + 1,
          }),
          installments: 3,
        },
      ];
      const sink = await connectKafkaSink({
        brokers: services().kafkaBrokers,
        topic: topics.transactions,
        serde: avroSerde<TransactionRecord>(registry, v2),
        log: () => undefined,
      });
      await sink.send(written).finally(() => sink.close());
      const read = () =>
        readLatestSnapshots({
          brokers: services().kafkaBrokers,
          registryUrl,
          topic: topics.balances,
          clientId: id,
        });
      let latest = await read();
      for (const deadline = Date.now() + 60_000; (latest.get('acct-v2')?.version ?? 0n) < 2n;) {
        if (Date.now() > deadline) throw new Error('the v2 transactions were not processed within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 200));
        latest = await read();
      }
      expect(latest.get('acct-v2')?.balances).toEqual([
        { currency: 'MXN', ledgerMinor: 48_750n, heldMinor: 0n, availableMinor: 48_750n },
      ]);
    } finally {
      await app.stop();
    }
    await expect(registry.register(`${topics.transactions}-value`, v3)).rejects.toThrow();
    // The subject's latest is still v2: nothing can produce with v3.
    const latestId = await registry.client.getLatestSchemaId(`${topics.transactions}-value`);
    expect(latestId).toBe(await registry.register(`${topics.transactions}-value`, v2));
  });

  it('registers a new subject from several instances at once: every one gets the same id', async () => {
    const fresh = prefixedProductTopics(uniqueName('race'));
    const ids = await Promise.all(
      Array.from({ length: 4 }, () =>
        registerProductSchemas(ConfluentAvroRegistry.connect(services().schemaRegistryUrl), fresh),
      ),
    );
    expect(new Set(ids.map((id) => id.transaction)).size).toBe(1);
    expect(new Set(ids.map((id) => id.snapshot)).size).toBe(1);
  });
});
