import { afterEach, describe, expect, it } from 'vitest';
import type { Registry } from 'prom-client';
import { jsonSerde, stringSerde } from '../../../state/index.ts';
import {
  TopologyBuilder,
  TopologyTestDriver,
  recordSerde,
  type ProcessorContext,
} from '../../../processor/index.ts';
import { EngineMetrics } from '../../../processor/metrics.ts';
import { LATENCY_SAMPLE_EVERY, countAndSample } from '../../../processor/processor-stats.ts';
import { E2E_SAMPLE_EVERY } from '../../../processor/output-tally.ts';
import { ScrapeGauges } from '../../../processor/scrape-gauges.ts';
import { TaskCommitError, TaskFencedError } from '../../../processor/errors.ts';
import { countingTopology } from '../../../topologies/counting.ts';
import { runningTask } from './task-fixture.ts';

let driver: TopologyTestDriver | undefined;
afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

/** in → forward (forwards, then throws on a negative n: its output is rolled back) → out. */
function forwardingTopology() {
  return new TopologyBuilder()
    .addSource('in', {
      topics: ['in'],
      keySerde: recordSerde(stringSerde, 'string'),
      valueSerde: recordSerde(jsonSerde<{ n: number }>(), 'json'),
    })
    .addProcessor('forward', {
      parents: ['in'],
      create: () => ({
        process(record: { key: string | null; value: { n: number } | null }, ctx: ProcessorContext) {
          ctx.forward({ key: record.key, value: record.value });
          if ((record.value?.n ?? 0) < 0) throw new RangeError('negative');
        },
      }),
    })
    .addSink('out', {
      parents: ['forward'],
      topic: 'out',
      keySerde: recordSerde(stringSerde, 'string'),
      valueSerde: recordSerde(jsonSerde<unknown>(), 'json'),
    })
    .build();
}

/** The value of series `name` whose labels include `labels` (0 when absent). */
async function valueOf(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metrics = await registry.getMetricsAsJSON();
  for (const metric of metrics) {
    for (const v of metric.values as Array<{ metricName?: string; labels: object; value: number }>) {
      const series = v.metricName ?? metric.name;
      if (series !== name) continue;
      const l = v.labels as Record<string, string | number>;
      if (Object.entries(labels).every(([k, want]) => String(l[k]) === want)) return v.value;
    }
  }
  return 0;
}

describe('the engine metrics of a topology step', () => {
  it('samples the first record of every LATENCY_SAMPLE_EVERY, counting them all', () => {
    const tally = { processor: 'p', records: 0, reported: 0, observeLatency: () => undefined };
    const sampled = Array.from({ length: 3 * LATENCY_SAMPLE_EVERY }, () => countAndSample(tally));
    expect(tally.records).toBe(3 * LATENCY_SAMPLE_EVERY);
    expect(sampled.flatMap((s, i) => (s ? [i] : []))).toEqual([
      0,
      LATENCY_SAMPLE_EVERY,
      2 * LATENCY_SAMPLE_EVERY,
    ]);
  });

  it('counts every record a processor is handed and times one in LATENCY_SAMPLE_EVERY', async () => {
    driver = await TopologyTestDriver.create(forwardingTopology());
    const registry = driver.metrics.registry;
    for (let i = 0; i < LATENCY_SAMPLE_EVERY + 1; i++) await driver.pipe('in', { key: 'a', value: { n: i } });
    await driver.pipe('in', { key: 'a', value: { n: -1 } });

    // The counter gets the plain tallies when scraped.
    expect(await valueOf(registry, 'saldo_processor_records_total', { processor: 'forward' })).toBe(
      LATENCY_SAMPLE_EVERY + 2,
    );
    expect(await valueOf(registry, 'saldo_processor_latency_seconds_count', { processor: 'forward' })).toBe(
      2,
    );
    // Scraped twice, counted once.
    expect(await valueOf(registry, 'saldo_processor_records_total', { processor: 'forward' })).toBe(
      LATENCY_SAMPLE_EVERY + 2,
    );
  });

  it('counts committed outputs by topic, not those of a record rolled back, and samples their end-to-end latency', async () => {
    driver = await TopologyTestDriver.create(forwardingTopology(), { wallClockStart: 1_000_000 });
    const registry = driver.metrics.registry;
    // Event time 2.5 s before the commit.
    await driver.pipe('in', { key: 'a', value: { n: 1 }, timestamp: 997_500 });
    await driver.pipe('in', { key: 'a', value: { n: -1 }, timestamp: 997_500 });
    await driver.pipe('in', { key: 'a', value: { n: 2 }, timestamp: 999_000 });

    expect(await valueOf(registry, 'saldo_records_produced_total', { topic: 'out' })).toBe(2);
    expect(await valueOf(registry, 'saldo_end_to_end_latency_seconds_count', { topic: 'out' })).toBe(1);
    expect(await valueOf(registry, 'saldo_end_to_end_latency_seconds_sum', { topic: 'out' })).toBe(2.5);
    expect(await valueOf(registry, 'saldo_dead_letters_total', { reason: 'processing' })).toBe(1);
    expect(await valueOf(registry, 'saldo_last_commit_timestamp_seconds')).toBe(1_000);
    expect(E2E_SAMPLE_EVERY).toBeGreaterThan(2);
  });
});

describe('the metrics of commits', () => {
  it('count each aborted transaction by reason: fenced, error, unrecoverable', async () => {
    const { task, unit, metrics } = await runningTask(countingTopology({ input: 'in', output: 'out' }));
    const failures = [
      new TaskFencedError('0_0'),
      new TaskCommitError('broker unreachable', { retriable: true }),
      new TaskCommitError('topic deleted', { retriable: false }),
    ];
    for (const [offset, failure] of failures.entries()) {
      unit.commit = () => Promise.reject(failure);
      await task.process({
        topic: 'in',
        partition: 0,
        offset,
        timestamp: 1_000,
        key: Buffer.from('acct-1'),
        value: Buffer.from(JSON.stringify({ txId: `t${offset}`, amountMinor: '5', currency: 'MXN' })),
        headers: {},
      });
      await expect(task.commit()).rejects.toBe(failure);
    }
    const registry = metrics.registry;
    for (const reason of ['fenced', 'error', 'unrecoverable'])
      expect(await valueOf(registry, 'saldo_transactions_aborted_total', { reason })).toBe(1);
    expect(await valueOf(registry, 'saldo_commit_failures_total', { reason: 'error' })).toBe(2);
    expect(await valueOf(registry, 'saldo_last_commit_timestamp_seconds')).toBe(0);
  });
});

describe('EngineMetrics', () => {
  it('labels every series with the app and instance, never with `instance` (Prometheus sets it)', async () => {
    const metrics = new EngineMetrics({ app: 'saldo', instance_id: 'saldo-0' });
    metrics.rebalances.inc();
    const text = await metrics.registry.metrics();
    expect(text).toContain('saldo_rebalances_total{app="saldo",instance_id="saldo-0"} 1');
    expect(text).not.toMatch(/[{,]instance=/);
  });

  it('serves consumer lag, standby lag and store sizes from the app at scrape time, none before it runs', async () => {
    const metrics = new EngineMetrics({ app: 'saldo' });
    expect(await metrics.registry.metrics()).not.toContain('saldo_consumer_lag_records{');
    metrics.useScrapeGauges(
      new ScrapeGauges({
        inputPositions: () => [{ topic: 'tx', partition: 3, position: 40 }],
        standbyPositions: () => [
          { task: '0_1', changelogs: [{ topic: 'saldo-balances-changelog', partition: 1, checkpoint: 7 }] },
        ],
        offsetRange: async (tps) =>
          new Map(tps.map((tp) => [`${tp.topic}:${tp.partition}`, { start: 0, end: 50 }])),
        committedOffsets: async () => new Map(),
        storeSizes: async () => [{ task: '0_3', store: 'balances', bytes: 4096 }],
      }),
    );
    const registry = metrics.registry;
    expect(await valueOf(registry, 'saldo_consumer_lag_records', { topic: 'tx', partition: '3' })).toBe(10);
    expect(await valueOf(registry, 'saldo_standby_lag_records', { task: '0_1' })).toBe(43);
    expect(await valueOf(registry, 'saldo_state_store_size_bytes', { task: '0_3', store: 'balances' })).toBe(
      4096,
    );
  });

  it('reports the restore rate between scrapes at least a second apart', async () => {
    const metrics = new EngineMetrics({ app: 'saldo' });
    const registry = metrics.registry;
    expect(await valueOf(registry, 'saldo_restore_records_per_second')).toBe(0);
    metrics.restoredRecords.inc({ store: 'balances' }, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const rate = await valueOf(registry, 'saldo_restore_records_per_second');
    expect(rate).toBeGreaterThan(3_000);
    expect(rate).toBeLessThanOrEqual(5_000);
  });
});
