// Records the product refuses, which the demo sends on purpose: each goes to the dead-letter topic
// with its reason, and changes no balance.
import type { Message } from 'kafkajs';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';

export async function transactionSamples(registryUrl: string, topic: string): Promise<Message[]> {
  const serde = productSerdes(ConfluentAvroRegistry.connect(registryUrl)).transaction;
  const base: TransactionRecord = {
    transactionId: 'demo-bad-0',
    accountId: 'acct-000001',
    type: 'DEPOSIT',
    amountMinor: 1n,
    currency: 'MXN',
    authorizationId: null,
    channel: 'APP',
    cardId: null,
    merchant: null,
    location: null,
    eventTime: Date.now(),
  };
  const refused: TransactionRecord[] = [
    { ...base, transactionId: 'demo-bad-amount', amountMinor: 0n },
    { ...base, transactionId: 'demo-bad-currency', currency: 'ABC' },
    {
      ...base,
      transactionId: 'demo-bad-capture',
      type: 'CAPTURE',
      amountMinor: 5_000n,
      authorizationId: null,
    },
  ];
  const messages: Message[] = [{ key: base.accountId, value: Buffer.from('{"not":"avro"}') }];
  for (const record of refused) {
    messages.push({
      key: record.accountId,
      value: await serde.serialize(record, { topic, part: 'value' }),
      timestamp: String(record.eventTime),
    });
  }
  return messages;
}
