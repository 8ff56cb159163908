import { afterEach, describe, expect, it } from 'vitest';
import {
  DLQ_HEADERS,
  TopologyBuilder,
  TopologyTestDriver,
  UndeclaredStoreError,
  keyValueStore,
  recordSerde,
  windowedStore,
  type KeyValueStoreRef,
  type Processor,
  type ProcessorContext,
  type StreamRecord,
} from '../../../processor/index.ts';
import { jsonSerde, stringSerde, type KeyValueStore, type WindowedStore } from '../../../state/index.ts';

const strings = recordSerde(stringSerde, 'string');
const numbers = recordSerde(jsonSerde<number>(), 'json');
const totalsStore = () => keyValueStore('totals', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
const source = () =>
  new TopologyBuilder().addSource('in', { topics: ['in'], keySerde: strings, valueSerde: numbers });
const noop = () => ({ process() {} });

/** Sums the values per key in its store, fetched once through the ref, and forwards each sum. */
class Summer implements Processor<string, number, string, number> {
  readonly #ref: KeyValueStoreRef<string, number>;
  #totals!: KeyValueStore<string, number>;
  constructor(ref: KeyValueStoreRef<string, number>) {
    this.#ref = ref;
  }
  init(ctx: ProcessorContext<string, number>): void {
    this.#totals = ctx.store(this.#ref);
  }
  process(record: StreamRecord<string, number>, ctx: ProcessorContext<string, number>): void {
    const key = record.key ?? '';
    const sum = (this.#totals.get(key) ?? 0) + (record.value ?? 0);
    this.#totals.put(key, sum);
    ctx.forward({ key, value: sum });
  }
}

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

describe('typed store references', () => {
  it('let a processor read and write the store it declared through the ref, typed by it', async () => {
    const totals = totalsStore();
    const topology = source()
      .addStore(totals)
      .addProcessor('sum', { parents: ['in'], stores: [totals], create: () => new Summer(totals) })
      .addSink('out', { parents: ['sum'], topic: 'sums', keySerde: strings, valueSerde: numbers })
      .build();
    driver = await TopologyTestDriver.create(topology);
    await driver.pipe('in', { key: 'a', value: 1 });
    await driver.pipe('in', { key: 'a', value: 2 });
    expect(driver.outputs<string, number>('sums').map((o) => o.value)).toEqual([1, 3]);
    expect(driver.keyValueStore<string, number>('totals').get('a')).toBe(3);
    expect(topology.describe('app')).toContain('Processor: sum (stores: [totals])');
  });

  it('carry the memory hints of the store into the topology’s store specs', () => {
    const ids = keyValueStore('ids', {
      keySerde: stringSerde,
      valueSerde: jsonSerde<number>(),
      cached: false,
      writtenPerRecord: true,
    });
    const totals = totalsStore();
    expect(ids).toMatchObject({ cached: false, writtenPerRecord: true });
    expect(totals).not.toHaveProperty('writtenPerRecord');
    const topology = source()
      .addStore(ids)
      .addStore(totals)
      .addProcessor('p', { parents: ['in'], stores: [ids, totals], create: noop })
      .build();
    const specs = new Map(topology.storeSpecs.map((s) => [s.name, s]));
    expect(specs.get('ids')).toMatchObject({ cached: false, writtenPerRecord: true });
    expect(specs.get('totals')?.writtenPerRecord).toBeUndefined();
  });

  it('refuse a second store of the same name', () => {
    expect(() => source().addStore(totalsStore()).addStore(totalsStore())).toThrow(
      /duplicate store name 'totals'/,
    );
    const totals = totalsStore();
    expect(() => source().addStore(totals).addStore(totals)).toThrow(/duplicate store name 'totals'/);
  });

  it('refuse, when the topology is built, a processor listing a ref the topology was not given', () => {
    const declared = totalsStore();
    const foreign = totalsStore();
    const listing = (ref: KeyValueStoreRef<string, number>) => () =>
      source()
        .addStore(declared)
        .addProcessor('p', { parents: ['in'], stores: [declared], create: noop })
        .addProcessor('q', { parents: ['in'], stores: [ref], create: noop })
        .build();
    expect(listing(foreign)).toThrow(UndeclaredStoreError);
    expect(listing(foreign)).toThrow(
      "processor 'q' names store 'totals' through a ref this topology was not given (a ref of another topology?)",
    );
    const undeclared = keyValueStore('limits', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
    expect(listing(undeclared)).toThrow("processor 'q' names unknown store 'limits'");
  });

  it('refuse, when read, a ref the processor did not list or a ref of another topology: a dead letter', async () => {
    const totals = totalsStore();
    const others = keyValueStore('others', { keySerde: stringSerde, valueSerde: jsonSerde<number>() });
    const foreign = totalsStore();
    const topology = source()
      .addStore(totals)
      .addStore(others)
      .addProcessor('p', {
        parents: ['in'],
        stores: [totals],
        create: () => ({
          process(record: StreamRecord<string, number>, ctx: ProcessorContext) {
            ctx.store(record.key === 'foreign' ? foreign : others).get('a');
          },
        }),
      })
      .addProcessor('q', { parents: ['in'], stores: [others], create: noop })
      .build();
    driver = await TopologyTestDriver.create(topology);
    await driver.pipe('in', { key: 'foreign', value: 1 });
    await driver.pipe('in', { key: 'unlisted', value: 1 });
    const dead = driver.deadLetters();
    expect(dead.map((r) => r.headers[DLQ_HEADERS.errorClass]?.toString())).toEqual([
      'UndeclaredStoreError',
      'UndeclaredStoreError',
    ]);
    expect(dead.map((r) => r.headers[DLQ_HEADERS.errorMessage]?.toString())).toEqual([
      "processor 'p' names store 'totals' through a ref this topology was not given (a ref of another topology?)",
      "processor 'p' did not declare store 'others' (list its ref in the processor's stores)",
    ]);
  });

  it('type the store by the ref: a key-value ref reads no windowed store and holds only its values', () => {
    // Checked by `npm run typecheck`; the functions never run.
    const totals = totalsStore();
    const velocity = windowedStore('velocity', {
      keySerde: stringSerde,
      valueSerde: jsonSerde<number>(),
      retentionMs: 60_000,
    });
    function readTotalsAsWindows(ctx: ProcessorContext): WindowedStore<string, number> {
      // @ts-expect-error a key-value ref gives a key-value store, not a windowed one
      return ctx.store(totals);
    }
    function putText(ctx: ProcessorContext): void {
      // @ts-expect-error the totals hold numbers
      ctx.store(totals).put('a', 'one');
    }
    function readVelocity(ctx: ProcessorContext): WindowedStore<string, number> {
      return ctx.store(velocity);
    }
    expect([readTotalsAsWindows, putText, readVelocity]).toHaveLength(3);
  });
});
