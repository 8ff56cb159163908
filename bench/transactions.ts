/**
 * What one exactly-once commit costs on the wire: a transactional producer runs the transactions a
 * task's commit runs (a record produced, the input offsets sent to the group, the end), one after
 * the other, and counts the requests kafkajs sends for them by API and their mean duration.
 *
 *   node bench/transactions.ts [--transactions 50] [--gap-ms 0] [--json]
 *
 * `--gap-ms` waits between transactions (a task commits every commit interval); 0 measures the
 * round trips alone. Needs the platform's broker (KAFKA_BROKERS, default 127.0.0.1:19092).
 */
import { parseArgs } from 'node:util';
import { positiveInt } from './args.ts';
import { benchKafka, DEFAULT_BROKERS } from './kafka.ts';

export interface TransactionsResult {
  transactions: number;
  gapMs: number;
  msPerTransaction: number;
  /** Requests by kafkajs' API name: how many, and their mean duration in ms. */
  requests: Record<string, { count: number; meanMs: number }>;
}

export async function runTransactions(
  brokers: string[],
  transactions: number,
  gapMs: number,
): Promise<TransactionsResult> {
  const run = `bench-transactions-${Date.now().toString(36)}`;
  const kafka = benchKafka(brokers, run);
  const admin = kafka.admin();
  await admin.connect();
  const topic = `${run}-out`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = kafka.producer({ transactionalId: run, idempotent: true, maxInFlightRequests: 1 });
  const totals = new Map<string, { count: number; ms: number }>();
  producer.on(producer.events.REQUEST, ({ payload }) => {
    const entry = totals.get(payload.apiName) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += payload.duration;
    totals.set(payload.apiName, entry);
  });
  await producer.connect();
  let busyMs = 0;
  try {
    for (let i = 0; i < transactions; i++) {
      const started = performance.now();
      const transaction = await producer.transaction();
      await transaction.send({ topic, messages: [{ value: String(i) }] });
      await transaction.sendOffsets({
        consumerGroupId: `${run}-group`,
        topics: [{ topic, partitions: [{ partition: 0, offset: String(i + 1) }] }],
      });
      await transaction.commit();
      busyMs += performance.now() - started;
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
  } finally {
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
  const requests: TransactionsResult['requests'] = {};
  for (const [api, { count, ms }] of totals) requests[api] = { count, meanMs: ms / count };
  return { transactions, gapMs, msPerTransaction: busyMs / transactions, requests };
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      transactions: { type: 'string' },
      'gap-ms': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const brokers = (process.env.KAFKA_BROKERS ?? DEFAULT_BROKERS).split(',');
  const gapMs = values['gap-ms'] === undefined ? 0 : Number(values['gap-ms']);
  if (!Number.isFinite(gapMs) || gapMs < 0)
    throw new Error(`--gap-ms must be a number ≥ 0, not ${values['gap-ms']}`);
  const result = await runTransactions(brokers, positiveInt('transactions', values.transactions, 50), gapMs);
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `${result.transactions} transactions, ${result.msPerTransaction.toFixed(1)} ms each (gap ${gapMs} ms)`,
    );
    for (const [api, { count, meanMs }] of Object.entries(result.requests))
      console.log(`  ${api}: ${count} requests, ${meanMs.toFixed(2)} ms each`);
  }
}
