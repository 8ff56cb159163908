/**
 * The benchmark's input: counting-topology transactions, generated lazily (a million records
 * never sit in memory at once) and produced before anything is timed.
 */
import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import type { CountingInput } from '../topologies/counting.ts';

export interface Transaction {
  account: string;
  input: CountingInput;
}

/**
 * The same deterministic stream as test/support/counting.ts' generateTransactions(count,
 * accounts, seed) (same LCG, same draws in the same order), one transaction at a time.
 */
export function* transactions(count: number, accounts: number, seed = 1): Generator<Transaction> {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  for (let i = 0; i < count; i++) {
    const account = `acct-${next() % accounts}`;
    const amount = BigInt(next() % 500_000) - 100_000n;
    yield {
      account,
      input: {
        txId: `tx-${seed}-${i}`,
        amountMinor: amount.toString(),
        currency: next() % 10 === 0 ? 'USD' : 'MXN',
      },
    };
  }
}

/** One transaction per account, `count` accounts: the store (and its changelog) gets `count` keys. */
export function* distinctKeyTransactions(count: number): Generator<Transaction> {
  for (let i = 0; i < count; i++) {
    yield {
      account: `acct-${i}`,
      input: { txId: `tx-restore-${i}`, amountMinor: String((i % 100_000) - 20_000), currency: 'MXN' },
    };
  }
}

export interface ProduceStats {
  records: number;
  elapsedMs: number;
}

/**
 * Produces the transactions as fast as kafkajs allows: batches of `batchSize`, several requests in
 * flight, acks=-1, no compression. Keys go through kafkajs' default (murmur2, Java-compatible)
 * partitioner, as a real upstream producer's would.
 */
export async function produceAll(
  kafka: Kafka,
  topic: string,
  source: Iterable<Transaction>,
  opts: { batchSize?: number; inFlight?: number; onProgress?: (produced: number) => void } = {},
): Promise<ProduceStats> {
  const batchSize = opts.batchSize ?? 5_000;
  const inFlight = opts.inFlight ?? 4;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  let produced = 0;
  try {
    const pending = new Set<Promise<void>>();
    let batch: Message[] = [];
    const flush = async (messages: Message[]) => {
      const sending = producer
        .send({ topic, acks: -1, compression: CompressionTypes.None, messages })
        .then(() => {
          produced += messages.length;
          opts.onProgress?.(produced);
        })
        .finally(() => pending.delete(sending));
      pending.add(sending);
      if (pending.size >= inFlight) await Promise.race(pending);
    };
    for (const t of source) {
      batch.push({ key: t.account, value: JSON.stringify(t.input) });
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await flush(batch);
    await Promise.all(pending);
  } finally {
    await producer.disconnect();
  }
  return { records: produced, elapsedMs: performance.now() - started };
}

/** One record to each partition, so that every task of an idle app is created (and restored). */
export async function produceOnePerPartition(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages: Message[] = [];
    for (let p = 0; p < partitions; p++) {
      messages.push({
        partition: p,
        key: `bench-wake-${p}`,
        value: JSON.stringify({ txId: `wake-${p}`, amountMinor: '1', currency: 'MXN' }),
      });
    }
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}
