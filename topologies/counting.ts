import { SerdeError, jsonSerde, stringSerde, type KeyValueStore, type Serde } from '../state/index.ts';
import {
  TopologyBuilder,
  keyValueStore,
  recordSerde,
  type Processor,
  type ProcessorContext,
  type StreamRecord,
  type Topology,
} from '../processor/index.ts';

/**
 * The engine's reference topology: per-account count and sum of amounts, every update emitted.
 * Crash, failover and zombie tests and the engine benchmark run it, because its exact result is
 * easy to compute independently from the input.
 */
export interface CountingInput {
  txId: string;
  /** Integer minor units as a decimal string: JSON has no 64-bit integers. */
  amountMinor: string;
  currency: string;
}

export interface AccountTotals {
  count: number;
  sumMinor: bigint;
  currency: string;
}

export interface CountingTopics {
  input: string;
  output: string;
}

const MINOR_UNITS = /^-?\d{1,18}$/;
const CURRENCY_CODE = /^[A-Z]{3}$/;

export class CountingProcessor implements Processor<string, CountingInput, string, AccountTotals> {
  #totals!: KeyValueStore<string, AccountTotals>;

  init(ctx: ProcessorContext<string, AccountTotals>): void {
    this.#totals = ctx.store(totalsStore);
  }

  process(record: StreamRecord<string, CountingInput>, ctx: ProcessorContext<string, AccountTotals>): void {
    const input = record.value;
    if (record.key === null || input === null) throw new Error('counting input needs a key and a value');
    if (typeof input.amountMinor !== 'string' || !MINOR_UNITS.test(input.amountMinor)) {
      throw new Error(
        `amountMinor must be integer minor units as a string, got ${JSON.stringify(input.amountMinor)}`,
      );
    }
    if (typeof input.currency !== 'string' || !CURRENCY_CODE.test(input.currency)) {
      throw new Error(`currency must be an ISO 4217 code, got ${JSON.stringify(input.currency)}`);
    }
    const store = this.#totals;
    const key = `${record.key}|${input.currency}`;
    const previous = store.get(key) ?? { count: 0, sumMinor: 0n, currency: input.currency };
    const next: AccountTotals = {
      count: previous.count + 1,
      sumMinor: previous.sumMinor + BigInt(input.amountMinor),
      currency: input.currency,
    };
    store.put(key, next);
    ctx.forward({ key: record.key, value: next });
  }
}

const TOTALS_FORMAT_V1 = 1;
const TOTALS_BYTES = 16;
const UINT32_MAX = 0xffff_ffff;
const ASCII_A = 0x41;
const ASCII_Z = 0x5a;

const isCurrencyByte = (byte: number | undefined): boolean =>
  byte !== undefined && byte >= ASCII_A && byte <= ASCII_Z;

/** The totals as both formats hold them: a uint32 count, int64 minor units and an ISO 4217 code. */
function checkedTotals(serdeName: string, totals: AccountTotals): AccountTotals {
  const { count, sumMinor, currency } = totals;
  if (!Number.isInteger(count) || count < 0 || count > UINT32_MAX) {
    throw new SerdeError(serdeName, `count must be a uint32, got ${count}`);
  }
  if (typeof sumMinor !== 'bigint' || BigInt.asIntN(64, sumMinor) !== sumMinor) {
    throw new SerdeError(serdeName, `sumMinor must be an int64 bigint, got ${String(sumMinor)}`);
  }
  if (typeof currency !== 'string' || !CURRENCY_CODE.test(currency)) {
    throw new SerdeError(serdeName, `currency must be an ISO 4217 code, got ${String(currency)}`);
  }
  return totals;
}

/**
 * The totals store's format (and so its changelog's): 16 bytes, a format version (1), the count as
 * uint32, the sum as int64 minor units, the ISO 4217 code in ASCII; all big-endian. Binary, not
 * JSON: every record reads and writes the store, and JSON encoding and decoding of these values
 * was the largest single cost in the engine benchmark's profile (BENCHMARKS.md). The version byte
 * leaves room for a new format; the output topic stays JSON for its readers.
 */
export const accountTotalsStoreSerde: Serde<AccountTotals> = {
  serialize(totals) {
    const { count, sumMinor, currency } = checkedTotals('accountTotalsStoreSerde', totals);
    const bytes = Buffer.allocUnsafe(TOTALS_BYTES);
    bytes[0] = TOTALS_FORMAT_V1;
    bytes.writeUInt32BE(count, 1);
    bytes.writeBigInt64BE(sumMinor, 5);
    bytes.write(currency, 13, 'latin1');
    return bytes;
  },
  deserialize(bytes) {
    if (bytes.length !== TOTALS_BYTES || bytes[0] !== TOTALS_FORMAT_V1) {
      throw new SerdeError(
        'accountTotalsStoreSerde',
        `expected ${TOTALS_BYTES} bytes of format ${TOTALS_FORMAT_V1}, got ${bytes.length} bytes of format ${bytes[0]}`,
      );
    }
    if (!isCurrencyByte(bytes[13]) || !isCurrencyByte(bytes[14]) || !isCurrencyByte(bytes[15])) {
      throw new SerdeError('accountTotalsStoreSerde', 'currency is not an ISO 4217 code');
    }
    return {
      count: bytes.readUInt32BE(1),
      sumMinor: bytes.readBigInt64BE(5),
      currency: bytes.toString('latin1', 13, 16),
    };
  },
};

/** Per account and currency (`<account>|<currency>`), the count and sum so far. */
export const totalsStore = keyValueStore('totals', {
  keySerde: stringSerde,
  valueSerde: accountTotalsStoreSerde,
});

const totalsJson = jsonSerde<AccountTotals>({ name: 'accountTotalsJsonSerde' });

/**
 * The output topic's format: the JSON that jsonSerde writes for AccountTotals, byte for byte
 * (`{"count":2,"sumMinor":{"$bigint":"-150"},"currency":"MXN"}`), written from a template. Every
 * input record emits one, and the generic encoder's walk for bigints and its object copies cost the
 * engine about 3% of its own instructions per record (bench/engine-core.ts under callgrind).
 * Reading goes through jsonSerde.
 */
export const accountTotalsJsonSerde: Serde<AccountTotals> = {
  serialize(totals) {
    const { count, sumMinor, currency } = checkedTotals('accountTotalsJsonSerde', totals);
    // A checked count and sum print as JSON prints them, and a currency code needs no escaping.
    return Buffer.from(`{"count":${count},"sumMinor":{"$bigint":"${sumMinor}"},"currency":"${currency}"}`);
  },
  deserialize(bytes) {
    return totalsJson.deserialize(bytes);
  },
};

export function countingTopology(topics: CountingTopics): Topology {
  return new TopologyBuilder()
    .addSource('transactions', {
      topics: [topics.input],
      keySerde: recordSerde(stringSerde, 'string'),
      valueSerde: recordSerde(jsonSerde<CountingInput>(), 'json'),
    })
    .addStore(totalsStore)
    .addProcessor('count', {
      parents: ['transactions'],
      stores: [totalsStore],
      create: () => new CountingProcessor(),
    })
    .addSink('totals-out', {
      parents: ['count'],
      topic: topics.output,
      keySerde: recordSerde(stringSerde, 'string'),
      valueSerde: recordSerde(accountTotalsJsonSerde, 'json'),
    })
    .build();
}
