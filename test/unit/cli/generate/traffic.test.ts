import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExpectedBalanceFold, TrafficGenerator, type Emission } from '../../../../cli/generate/index.ts';
import { InMemoryAvroRegistry, productSerdes } from '../../../../schemas/index.ts';
import {
  TRANSACTION_TYPES,
  type TransactionRecord,
} from '../../../../topologies/transactions/transaction.ts';
import { recordsJson } from './fakes.ts';

const START = Date.UTC(2026, 11, 1);

function generate(
  count: number,
  options: { seed?: number; accounts?: number; spacingMs?: number; startTime?: number } = {},
) {
  const traffic = new TrafficGenerator({
    accounts: options.accounts ?? 500,
    seed: options.seed ?? 1,
    startTime: options.startTime ?? START,
    spacingMs: options.spacingMs ?? 1,
  });
  const emissions: Emission[] = [];
  for (let i = 0; i < count; i++) {
    const { record, delivery } = traffic.next();
    emissions.push({ record, delivery });
  }
  return emissions;
}

const records = (emissions: Emission[]) => emissions.map((emission) => emission.record);

// One 20,000-record run, shared by the tests that only read it.
const RUN = generate(20_000);
const RUN_RECORDS = records(RUN);
const ORIGINALS = RUN.filter((emission) => emission.delivery !== 'duplicate').map(
  (emission) => emission.record,
);
const BY_ID = new Map(ORIGINALS.map((record) => [record.transactionId, record]));

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(strings);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the traffic generator: determinism', () => {
  it('gives byte-identical records for the same seed', () => {
    expect(recordsJson(records(generate(5_000, { seed: 7 })))).toBe(
      recordsJson(records(generate(5_000, { seed: 7 }))),
    );
  });

  it('gives different records for a different seed', () => {
    expect(recordsJson(records(generate(5_000, { seed: 7 })))).not.toBe(
      recordsJson(records(generate(5_000, { seed: 8 }))),
    );
  });

  it('shifts nothing but event times when the start time moves', () => {
    const shift = 3_600_000;
    const moved = records(generate(3_000, { startTime: START + shift }));
    const unshifted = moved.map((record) => ({ ...record, eventTime: record.eventTime - shift }));
    expect(recordsJson(unshifted)).toBe(recordsJson(records(generate(3_000))));
  });

  it('never calls Math.random', () => {
    const random = vi.spyOn(Math, 'random');
    generate(5_000, { seed: 3 });
    expect(random).not.toHaveBeenCalled();
  });
});

describe('the traffic generator: what a 20,000-record run holds', () => {
  it('has every transaction type', () => {
    const types = countBy(ORIGINALS, (record) => record.type);
    for (const type of TRANSACTION_TYPES) expect(types[type], type).toBeGreaterThan(0);
  });

  it('re-sends about 1% of records as exact duplicates of an earlier record', () => {
    const seenBefore = new Map<string, TransactionRecord>();
    let duplicates = 0;
    for (const { record, delivery } of RUN) {
      if (delivery === 'duplicate') {
        duplicates += 1;
        expect(recordsJson([record])).toBe(recordsJson([seenBefore.get(record.transactionId)!]));
      } else {
        expect(seenBefore.has(record.transactionId)).toBe(false);
        seenBefore.set(record.transactionId, record);
      }
    }
    expect(duplicates / RUN.length).toBeGreaterThan(0.005);
    expect(duplicates / RUN.length).toBeLessThan(0.016);
  });

  it('sends about 1% of authorizations after a capture or reversal that names them, with an earlier event time', () => {
    const settlements = ORIGINALS.filter((record) => record.type === 'CAPTURE' || record.type === 'REVERSAL');
    const late = RUN.filter((emission) => emission.delivery === 'late');
    expect(late.length / settlements.length).toBeGreaterThan(0.004);
    expect(late.length / settlements.length).toBeLessThan(0.02);
    for (const { record } of late) {
      expect(record.type).toBe('AUTHORIZATION');
      const at = RUN_RECORDS.indexOf(record);
      const earlier = RUN_RECORDS.slice(0, at).filter(
        (other) =>
          other.authorizationId === record.transactionId &&
          (other.type === 'CAPTURE' || other.type === 'REVERSAL'),
      );
      expect(earlier.length).toBeGreaterThan(0);
      for (const settlement of earlier) expect(settlement.eventTime).toBeGreaterThan(record.eventTime);
    }
  });

  it('keeps each story on one account and in one currency', () => {
    let dangling = 0;
    for (const record of ORIGINALS) {
      if (record.authorizationId === null) continue;
      const authorization = BY_ID.get(record.authorizationId);
      if (authorization === undefined) {
        dangling += 1; // its late authorization was still on its way when the run ended
        continue;
      }
      expect(authorization.type).toBe('AUTHORIZATION');
      expect(authorization.accountId).toBe(record.accountId);
      expect(authorization.currency).toBe(record.currency);
    }
    expect(dangling).toBeLessThan(5);
  });

  it('settles card payments in every way: equal, partial, with a tip, reversed, grown, or left open', () => {
    const settled = new Set<string>();
    let equal = 0;
    let partial = 0;
    let tipped = 0;
    for (const record of ORIGINALS) {
      if (record.authorizationId === null) continue;
      settled.add(record.authorizationId);
      const authorization = BY_ID.get(record.authorizationId);
      if (record.type !== 'CAPTURE' || authorization === undefined) continue;
      if (record.amountMinor === authorization.amountMinor) equal += 1;
      if (record.amountMinor < authorization.amountMinor) partial += 1;
      if (record.amountMinor > authorization.amountMinor && record.merchant?.mcc === '5812') tipped += 1;
    }
    const open = ORIGINALS.filter(
      (record) => record.type === 'AUTHORIZATION' && !settled.has(record.transactionId),
    );
    for (const count of [equal, partial, tipped, open.length]) expect(count).toBeGreaterThan(10);
    const grown = ORIGINALS.filter((record) => record.type === 'INCREMENTAL_AUTHORIZATION');
    for (const record of grown) expect(['7011', '7512', '5542']).toContain(record.merchant?.mcc);
  });

  it('pays mostly in pesos, a few times in dollars online, on the channels each type uses', () => {
    const authorizations = ORIGINALS.filter((record) => record.type === 'AUTHORIZATION');
    const dollars = authorizations.filter((record) => record.currency === 'USD');
    expect(dollars.length / authorizations.length).toBeGreaterThan(0.003);
    expect(dollars.length / authorizations.length).toBeLessThan(0.06);
    for (const record of dollars) expect(record.channel).toBe('ECOMMERCE');
    const channels = countBy(authorizations, (record) => record.channel);
    expect(channels.POS).toBeGreaterThan(channels.ECOMMERCE!);
    expect(channels.ECOMMERCE).toBeGreaterThan(0);
    for (const record of ORIGINALS) {
      if (record.type === 'WITHDRAWAL') expect(record.channel).toBe('ATM');
      if (record.type === 'TRANSFER_IN' || record.type === 'TRANSFER_OUT')
        expect(record.channel).toBe('TRANSFER');
      if (record.type === 'FEE') expect(record.channel).toBe('APP');
      const carded = ['POS', 'ECOMMERCE', 'ATM'].includes(record.channel);
      expect(record.cardId === null).toBe(!carded);
      expect(record.merchant === null).toBe(!carded);
      expect(record.location === null).toBe(record.channel !== 'POS' && record.channel !== 'ATM');
      expect(record.amountMinor).toBeGreaterThan(0n);
    }
  });

  it('draws realistic amounts: salaries of 8,000-60,000 pesos, coffee under 121 pesos', () => {
    const salaries = ORIGINALS.filter((record) => record.type === 'DEPOSIT' && record.channel === 'TRANSFER');
    expect(salaries.length).toBeGreaterThan(0);
    for (const salary of salaries) {
      expect(salary.amountMinor).toBeGreaterThanOrEqual(800_000n);
      expect(salary.amountMinor).toBeLessThan(6_000_100n);
    }
    const coffees = ORIGINALS.filter(
      (record) => record.type === 'AUTHORIZATION' && record.merchant?.name === 'Starbucks',
    );
    expect(coffees.length).toBeGreaterThan(0);
    for (const coffee of coffees) expect(coffee.amountMinor).toBeLessThan(12_100n);
  });

  it('starts every account with a salary, so that balances below zero stay rare', () => {
    const first = new Map<string, TransactionRecord>();
    for (const record of ORIGINALS) if (!first.has(record.accountId)) first.set(record.accountId, record);
    for (const record of first.values()) {
      expect(record.type).toBe('DEPOSIT');
      expect(record.channel).toBe('TRANSFER');
    }
    const fold = new ExpectedBalanceFold();
    for (const record of RUN_RECORDS) fold.apply(record);
    const balances = [...fold.balances().values()];
    const belowZero = balances.filter((currencies) =>
      currencies.some((balance) => balance.availableMinor < 0n),
    );
    expect(belowZero.length / balances.length).toBeLessThan(0.02);
  });

  it('never puts a card-number-like run of 13 to 19 digits in any text of a record', () => {
    const texts = RUN_RECORDS.flatMap(strings);
    expect(texts.length).toBeGreaterThan(RUN_RECORDS.length * 4);
    expect(texts.filter((text) => /\d{13,19}/.test(text))).toEqual([]);
    const cards = RUN_RECORDS.flatMap((record) => (record.cardId === null ? [] : [record.cardId]));
    expect(cards.filter((card) => !/^card-[0-9a-z]+$/.test(card))).toEqual([]);
  });

  it('fits the transactions topic Avro schema, and reads back the same', async () => {
    const serde = productSerdes(new InMemoryAvroRegistry()).transaction;
    const context = { topic: 'transactions', part: 'value' } as const;
    for (const record of RUN_RECORDS.slice(0, 3_000)) {
      const bytes = await serde.serialize(record, context);
      expect(await serde.deserialize(bytes, context)).toEqual(record);
    }
  });
});

describe('the traffic generator: event time', () => {
  it.each([
    ['unlimited (1 ms apart)', 1],
    ['5 tx/s (200 ms apart)', 200],
    ['3 tx/s (333.3 ms apart)', 1_000 / 3],
  ])('gives record n an event time from the start up to start + n × spacing, at %s', (_rate, spacingMs) => {
    const emissions = generate(5_000, { spacingMs });
    emissions.forEach(({ record, delivery }, n) => {
      expect(Number.isInteger(record.eventTime)).toBe(true);
      expect(record.eventTime).toBeGreaterThanOrEqual(START);
      const slotTime = START + Math.floor(n * spacingMs);
      if (delivery === 'original') expect(record.eventTime).toBe(slotTime);
      else expect(record.eventTime).toBeLessThan(slotTime);
    });
    const last = Math.max(...emissions.map(({ record }) => record.eventTime));
    expect(last - START).toBeLessThanOrEqual(Math.floor(4_999 * spacingMs));
  });
});
