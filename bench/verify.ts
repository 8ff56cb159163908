/**
 * Optional check (--verify) that a benchmark run computed the right thing: reads the output topic
 * with read_committed and compares it, streaming, with totals computed from the same generator.
 * Every account|currency must see updates counting 1, 2, 3 … with the last one equal to the
 * reference: nothing lost, nothing counted twice.
 */
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { Transaction } from './workload.ts';

function parseSum(raw: unknown): bigint {
  if (typeof raw === 'object' && raw !== null && typeof (raw as { $bigint?: unknown }).$bigint === 'string') {
    return BigInt((raw as { $bigint: string }).$bigint);
  }
  return BigInt(raw as string | number);
}

export async function verifyOutputs(
  kafka: Kafka,
  topic: string,
  source: Iterable<Transaction>,
  timeoutMs = 300_000,
): Promise<string[]> {
  const reference = new Map<string, { count: number; sum: bigint }>();
  let expected = 0;
  for (const { account, input } of source) {
    const key = `${account}|${input.currency}`;
    const r = reference.get(key) ?? { count: 0, sum: 0n };
    r.count++;
    r.sum += BigInt(input.amountMinor);
    reference.set(key, r);
    expected++;
  }

  const problems: string[] = [];
  const last = new Map<string, { count: number; sum: bigint }>();
  let seen = 0;
  const groupId = `saldo-bench-verify-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    readUncommitted: false,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        problems.push(`timed out after ${seen} of ${expected} outputs`);
        resolve();
      }, timeoutMs);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              seen++;
              const account = m.key?.toString() ?? '';
              const value = JSON.parse(m.value?.toString() ?? 'null') as {
                count: number;
                currency: string;
                sumMinor: unknown;
              };
              const key = `${account}|${value.currency}`;
              const prev = last.get(key)?.count ?? 0;
              if (value.count !== prev + 1 && problems.length < 20)
                problems.push(`${key}: update ${value.count} after ${prev}`);
              last.set(key, { count: value.count, sum: parseSum(value.sumMinor) });
            }
            if (seen >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  if (seen !== expected) problems.push(`read ${seen} outputs, expected ${expected}`);
  for (const [key, ref] of reference) {
    const got = last.get(key);
    if (!got) problems.push(`${key}: no output`);
    else if (got.count !== ref.count || got.sum !== ref.sum)
      problems.push(`${key}: got ${got.count}/${got.sum}, expected ${ref.count}/${ref.sum}`);
    if (problems.length >= 20) break;
  }
  return problems.slice(0, 20);
}
