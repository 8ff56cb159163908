import type { Kafka } from 'kafkajs';
import type { CountingInput } from '../../topologies/counting.ts';
import { readTopic } from './kafka.ts';

export interface GeneratedTransaction {
  account: string;
  input: CountingInput;
}

/** A deterministic stream of transactions over `accounts` accounts, amounts in centavos. */
export function generateTransactions(count: number, accounts: number, seed = 1): GeneratedTransaction[] {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const out: GeneratedTransaction[] = [];
  for (let i = 0; i < count; i++) {
    const account = `acct-${next() % accounts}`;
    const amount = BigInt(next() % 500_000) - 100_000n; // debits and credits
    out.push({
      account,
      input: {
        txId: `tx-${seed}-${i}`,
        amountMinor: amount.toString(),
        currency: next() % 10 === 0 ? 'USD' : 'MXN',
      },
    });
  }
  return out;
}

/** The expected totals, computed independently of the engine: count and sum per account|currency. */
export function referenceTotals(
  txs: GeneratedTransaction[],
): Map<string, { count: number; sumMinor: bigint }> {
  const totals = new Map<string, { count: number; sumMinor: bigint }>();
  for (const { account, input } of txs) {
    const key = `${account}|${input.currency}`;
    const t = totals.get(key) ?? { count: 0, sumMinor: 0n };
    totals.set(key, { count: t.count + 1, sumMinor: t.sumMinor + BigInt(input.amountMinor) });
  }
  return totals;
}

export async function produceTransactions(
  kafka: Kafka,
  topic: string,
  txs: GeneratedTransaction[],
  chunk = 5_000,
): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < txs.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: txs.slice(i, i + chunk).map((t) => ({ key: t.account, value: JSON.stringify(t.input) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface TotalsUpdate {
  account: string;
  count: number;
  sumMinor: bigint;
  currency: string;
}

/** Parses the counting topology's output values (JSON with bigint as {"$bigint": "…"}) without the engine's serde. */
export function parseTotals(account: string, value: string): TotalsUpdate {
  const raw = JSON.parse(value) as { count: number; currency: string; sumMinor: unknown };
  const sum = raw.sumMinor as { $bigint?: string } | string | number;
  const sumMinor =
    typeof sum === 'object' && sum !== null && typeof sum.$bigint === 'string'
      ? BigInt(sum.$bigint)
      : BigInt(sum as string | number);
  return { account, count: raw.count, sumMinor, currency: raw.currency };
}

/**
 * Checks the outputs of a run against the reference: the latest update per account|currency
 * equals the reference, and the updates of each key count 1, 2, 3, … with no gap and no repeat —
 * which is what "nothing lost, nothing counted twice" looks like in the output stream.
 */
export function checkOutputs(
  updates: TotalsUpdate[],
  reference: Map<string, { count: number; sumMinor: bigint }>,
): string[] {
  const problems: string[] = [];
  const last = new Map<string, TotalsUpdate>();
  for (const u of updates) {
    const key = `${u.account}|${u.currency}`;
    const prev = last.get(key);
    const expected = (prev?.count ?? 0) + 1;
    if (u.count !== expected) problems.push(`${key}: update count ${u.count} after ${prev?.count ?? 0}`);
    last.set(key, u);
  }
  for (const [key, ref] of reference) {
    const got = last.get(key);
    if (!got) problems.push(`${key}: no output`);
    else if (got.count !== ref.count || got.sumMinor !== ref.sumMinor) {
      problems.push(
        `${key}: got count=${got.count} sum=${got.sumMinor}, expected count=${ref.count} sum=${ref.sumMinor}`,
      );
    }
  }
  for (const key of last.keys()) if (!reference.has(key)) problems.push(`${key}: unexpected output`);
  return problems.slice(0, 20);
}

/** The counting topology's output updates, read until there are at least `expected` of them. */
export async function readTotalsUpdates(
  kafka: Kafka,
  topic: string,
  opts: { expected: number; isolation: 'read_committed' | 'read_uncommitted'; timeoutMs?: number },
): Promise<TotalsUpdate[]> {
  const records = await readTopic(kafka, topic, {
    isolation: opts.isolation,
    done: (seen) => seen.length >= opts.expected,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  return records.map((r) => parseTotals(r.key ?? '', r.value ?? ''));
}
