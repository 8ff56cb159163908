import { jsonSerde, stringSerde } from '../state/index.ts';
import {
  TopologyBuilder,
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
    const store = ctx.keyValueStore<string, AccountTotals>('totals');
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

export function countingTopology(topics: CountingTopics): Topology {
  const totalsSerde = jsonSerde<AccountTotals>();
  return new TopologyBuilder()
    .addSource('transactions', {
      topics: [topics.input],
      keySerde: recordSerde(stringSerde, 'string'),
      valueSerde: recordSerde(jsonSerde<CountingInput>(), 'json'),
    })
    .addKeyValueStore('totals', { keySerde: stringSerde, valueSerde: totalsSerde })
    .addProcessor('count', {
      parents: ['transactions'],
      stores: ['totals'],
      create: () => new CountingProcessor(),
    })
    .addSink('totals-out', {
      parents: ['count'],
      topic: topics.output,
      keySerde: recordSerde(stringSerde, 'string'),
      valueSerde: recordSerde(totalsSerde, 'json'),
    })
    .build();
}
