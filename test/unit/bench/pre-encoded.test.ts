import { describe, expect, it } from 'vitest';
import {
  generatePacedTraffic,
  preEncodedSerde,
  sendPaced,
  type PacedTraffic,
} from '../../../bench/pipeline/pre-encoded.ts';
import { RULE_IDS, runGenerator, silentProgress } from '../../../cli/generate/index.ts';
import { FakeClock } from '../cli/generate/fakes.ts';
import type { RecordSerde } from '../../../processor/index.ts';
import type { TransactionRecord } from '../../../topologies/transactions/transaction.ts';

// Stands in for Avro: what matters is that each record's own bytes come back.
const jsonSerde: RecordSerde<TransactionRecord> = {
  name: 'json',
  serialize: (record) =>
    Buffer.from(
      JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)),
    ),
  deserialize: () => {
    throw new Error('not used');
  },
};

const options = {
  accounts: 500,
  durationMs: 2_000,
  rate: 1_000,
  seed: 2,
  startTime: Date.UTC(2026, 11, 7, 15),
  topic: 'transactions',
  batchSize: 20,
  realistic: { spanMs: 2_000, historyDays: 0, fraudRate: 0.01, patterns: RULE_IDS },
};

/** The generator's fake clock, started at 1,000 ms. */
function steppingClock(): FakeClock {
  const clock = new FakeClock();
  clock.time = 1_000;
  return clock;
}

describe('the latency phase traffic generated in advance', () => {
  it('holds what the generator sends at the rate, in its order, on its schedule', async () => {
    const traffic = await generatePacedTraffic(options, jsonSerde);
    const live: TransactionRecord[] = [];
    await runGenerator(
      options,
      { send: async (batch) => void live.push(...batch), close: async () => undefined },
      { clock: steppingClock(), progress: silentProgress },
    );
    const recorded = traffic.batches.flatMap((batch) => batch.records);
    expect(recorded.map((r) => r.transactionId)).toEqual(live.map((r) => r.transactionId));
    expect(traffic.records).toBe(recorded.length);
    // 1,000/s for 2 s, in batches of 20 due every 20 ms.
    expect(traffic.records).toBeGreaterThanOrEqual(1_900);
    expect(traffic.records).toBeLessThanOrEqual(2_100);
    const times = traffic.batches.map((batch) => batch.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)).toBeGreaterThan(1_900);
    expect(times.at(-1)).toBeLessThan(2_100);
  });

  it('hands back each record its own bytes, and refuses a record it never encoded', async () => {
    const traffic = await generatePacedTraffic(options, jsonSerde);
    const serde = preEncodedSerde(traffic);
    const context = { topic: 'transactions', part: 'value' as const };
    for (const record of traffic.batches[3]?.records ?? []) {
      expect(serde.serialize(record, context)).toEqual(jsonSerde.serialize(record, context));
    }
    const stranger = { ...(traffic.batches[0]?.records[0] as TransactionRecord) };
    expect(() => serde.serialize(stranger, context)).toThrow(/not encoded in advance/);
  });

  it('sends each batch when it is due, without shifting the schedule after a slow send', async () => {
    const records = (await generatePacedTraffic(options, jsonSerde)).batches[0]?.records ?? [];
    const traffic: PacedTraffic = {
      batches: [
        { atMs: 0, records: records.slice(0, 2) },
        { atMs: 20, records: records.slice(2, 4) },
        { atMs: 40, records: records.slice(4, 6) },
        { atMs: 60, records: records.slice(6, 8) },
      ],
      encoded: new Map(),
      records: 8,
    };
    const clock = steppingClock();
    const sentAt: number[] = [];
    await sendPaced(
      traffic,
      {
        send: async (batch) => {
          sentAt.push(clock.now());
          // The second send takes 35 ms: the third is then late and goes at once.
          if (batch[0] === records[2]) await clock.sleep(35);
        },
        close: async () => undefined,
      },
      clock,
    );
    expect(sentAt).toEqual([1_000, 1_020, 1_055, 1_060]);
  });
});
