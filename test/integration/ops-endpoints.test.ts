import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { changelogTopicFor } from '../../processor/internal-topics.ts';
import { stringSerde } from '../../state/index.ts';
import { accountBalancesSerde, emptyAccountBalances } from '../../topologies/balances/account-balances.ts';
import { BALANCES_STORE } from '../../topologies/balances/balances-processor.ts';
import { prefixedProductTopics } from '../../topologies/product.ts';
import { connectTransactionSink, runGeneratorInto } from '../support/generator-sinks.ts';
import { waitForInputCommitted } from '../support/instance-kafka.ts';
import { waitUntil, type InstanceProcess } from '../support/instance-process.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { createTopic } from '../support/kafka.ts';
import { spawnProductInstance } from '../support/product-instance.ts';
import { missingMetrics } from '../support/promql-names.ts';
import { uniqueName } from '../support/services.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The dashboard, and the chart's alerting rules when the chart has them. */
const QUERY_FILES = ['helm/saldo/dashboards/saldo-overview.json', 'helm/saldo/prometheus-rules.yaml']
  .map((path) => join(REPO, path))
  .filter((path) => existsSync(path));

/** As many partitions as the scrape's cost is measured with (one task, five stores each). */
const PARTITIONS = 24;
const ACCOUNTS = 240;
const RECORDS = 2_400;
/**
 * Records written into one balances changelog partition, so that restoring it takes seconds: accounts
 * with no snapshot yet (version 0), which the Redis cache's restore skips.
 */
const FILLER = 200_000;

interface ProbeAnswer {
  path: string;
  status: number;
  body: { ready?: boolean; reason?: string; status?: string; tasks?: Record<string, string> };
}

async function probe(port: number, path: '/healthz' | '/readyz'): Promise<ProbeAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { path, status: response.status, body: (await response.json()) as ProbeAnswer['body'] };
}

/**
 * Polls /healthz and /readyz of `instance` from the moment its ops server listens until /readyz
 * answers 200, and returns every answer in order.
 */
async function probesUntilReady(instance: InstanceProcess, timeoutMs: number): Promise<ProbeAnswer[]> {
  const answers: ProbeAnswer[] = [];
  await waitUntil(() => instance.opsPort() !== undefined, {
    timeoutMs: 60_000,
    what: 'the ops server to listen',
    instances: [instance],
  });
  const port = instance.opsPort() as number;
  await waitUntil(
    async () => {
      const [health, ready] = await Promise.all([probe(port, '/healthz'), probe(port, '/readyz')]);
      answers.push(health, ready);
      return ready.status === 200;
    },
    { timeoutMs, pollMs: 100, what: '/readyz to answer 200', instances: [instance] },
  );
  return answers;
}

/** One scrape of the ops server: its text and how long it took. */
async function scrape(port: number): Promise<{ text: string; ms: number }> {
  const started = performance.now();
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  expect(response.status).toBe(200);
  return { text, ms: performance.now() - started };
}

/** The samples of `name` (exact series name) in a scrape, with their labels as text. */
function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => ({
      labels: line.slice(name.length, line.lastIndexOf(' ')),
      value: Number(line.slice(line.lastIndexOf(' ') + 1)),
    }));
}

const sum = (list: Array<{ value: number }>) => list.reduce((total, s) => total + s.value, 0);

describe('the ops endpoints of a saldo run (24 partitions)', () => {
  const ws = useInstanceWorkspace('ops-endpoints', { stopInstancesAfter: 'all' });
  const appId = uniqueName('ops');
  const topics = prefixedProductTopics(appId);
  const start = () =>
    spawnProductInstance({ name: 'ops-a', appId, topics, root: ws.root, redisKeyPrefix: `${appId}:` });

  beforeAll(async () => {
    for (const topic of Object.values(topics)) await createTopic(ws.kafka, topic, PARTITIONS);
  });

  it('answers probes while it starts, exports every metric the dashboard queries, with per-partition lag, and scrapes cheaply', async () => {
    const instance = start();
    const firstProbes = await probesUntilReady(instance, 180_000);
    // Alive throughout; not ready until the app runs with all its tasks.
    expect(firstProbes.filter((a) => a.path === '/healthz').every((a) => a.status === 200)).toBe(true);
    const readiness = firstProbes.filter((a) => a.path === '/readyz');
    expect(readiness[0]?.status).toBe(503);
    expect(readiness[0]?.body.ready).toBe(false);
    const ready = readiness.at(-1) as ProbeAnswer;
    expect(Object.keys(ready.body.tasks ?? {})).toHaveLength(PARTITIONS);
    expect(Object.values(ready.body.tasks ?? {}).every((s) => s === 'running')).toBe(true);

    await runGeneratorInto(
      { transactions: await connectTransactionSink(topics.transactions) },
      {
        accounts: ACCOUNTS,
        count: RECORDS,
        rate: 4_000,
        seed: 16,
        startTime: Date.now() - 60_000,
        topic: topics.transactions,
        batchSize: 200,
      },
    );
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.transactions,
      expectedRecords: RECORDS,
      timeoutMs: 120_000,
      instances: [instance],
    });

    const port = instance.opsPort() as number;
    // The first scrape reads the brokers' end offsets and every store's directory; the next ones
    // within the cache's life do not.
    const cold = await scrape(port);
    const warm: number[] = [];
    let text = cold.text;
    for (let i = 0; i < 10; i++) {
      const next = await scrape(port);
      warm.push(next.ms);
      text = next.text;
    }
    warm.sort((a, b) => a - b);
    const median = warm[Math.floor(warm.length / 2)] as number;
    console.log(
      `[ops-endpoints] scrape with ${PARTITIONS} partitions: first ${cold.ms.toFixed(1)} ms, then median ${median.toFixed(1)} ms, max ${(warm.at(-1) as number).toFixed(1)} ms; ${Buffer.byteLength(text)} bytes, ${text.split('\n').filter((l) => l && !l.startsWith('#')).length} samples`,
    );
    expect(median).toBeLessThan(250);

    // What the instance did, as its metrics say.
    expect(sum(samples(text, 'saldo_records_processed_total'))).toBe(RECORDS);
    expect(
      sum(
        samples(text, 'saldo_processor_records_total').filter((s) => s.labels.includes('processor="admit"')),
      ),
    ).toBe(RECORDS);
    expect(
      sum(
        samples(text, 'saldo_records_produced_total').filter((s) =>
          s.labels.includes(`topic="${topics.balances}"`),
        ),
      ),
    ).toBeGreaterThan(0);
    expect(sum(samples(text, 'saldo_end_to_end_latency_seconds_count'))).toBeGreaterThan(0);
    expect(sum(samples(text, 'saldo_processor_latency_seconds_count'))).toBeGreaterThan(0);
    expect(samples(text, 'saldo_last_commit_timestamp_seconds')[0]?.value).toBeGreaterThan(
      Date.now() / 1000 - 600,
    );
    expect(sum(samples(text, 'saldo_rebalances_total'))).toBeGreaterThanOrEqual(1);
    expect(sum(samples(text, 'saldo_rebalance_duration_seconds_count'))).toBeGreaterThanOrEqual(1);
    // Lag per input partition of every active task (the transactions and the limits table).
    const lags = samples(text, 'saldo_consumer_lag_records');
    expect(lags).toHaveLength(2 * PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++)
      expect(
        lags.some(
          (l) => l.labels.includes(`topic="${topics.transactions}"`) && l.labels.includes(`partition="${p}"`),
        ),
      ).toBe(true);
    // Store sizes of every task's four stores (transaction ids, balances, holds, account limits).
    const sizes = samples(text, 'saldo_state_store_size_bytes');
    expect(sizes).toHaveLength(4 * PARTITIONS);
    expect(sum(sizes.filter((s) => s.labels.includes('store="balances"')))).toBeGreaterThan(0);
    // Node's own metrics, and the instance's labels on everything (never `instance`: Prometheus' own).
    expect(samples(text, 'process_cpu_seconds_total')).toHaveLength(1);
    expect(samples(text, 'nodejs_heap_size_used_bytes')).toHaveLength(1);
    expect(samples(text, 'saldo_redis_write_errors_total')[0]?.value).toBe(0);
    for (const line of text.split('\n').filter((l) => l.startsWith('saldo_') || l.startsWith('process_'))) {
      expect(line).toContain(`app="${appId}"`);
      expect(line).toContain('instance_id="ops-a"');
      expect(line).not.toMatch(/[{,]instance="/);
    }

    // Every query of the dashboard (and of the chart's rules) names a metric the instance exports.
    const files = QUERY_FILES.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    const { expressions, missing } = missingMetrics(files, text);
    expect(expressions.length).toBeGreaterThan(30);
    expect(missing.map((m) => `${m.file.slice(REPO.length + 1)} — ${m.where}: ${m.metric}`)).toEqual([]);
    await instance.stop();
  });

  it('is not ready while a task restores after a restart, alive throughout, and ready once it runs', async () => {
    // A long balances changelog for partition 5: the restart restores it from the checkpoint on.
    const producer = ws.kafka.producer();
    await producer.connect();
    try {
      const value = accountBalancesSerde.serialize(emptyAccountBalances());
      for (let sent = 0; sent < FILLER; sent += 10_000) {
        await producer.send({
          topic: changelogTopicFor(appId, BALANCES_STORE),
          messages: Array.from({ length: 10_000 }, (_, i) => ({
            partition: 5,
            key: stringSerde.serialize(`filler-${sent + i}`),
            value,
          })),
        });
      }
    } finally {
      await producer.disconnect();
    }

    const instance = start();
    const answers = await probesUntilReady(instance, 180_000);
    expect(answers.filter((a) => a.path === '/healthz').every((a) => a.status === 200)).toBe(true);
    const restoring = answers.filter(
      (a) => a.path === '/readyz' && a.status === 503 && a.body.tasks?.['0_5'] === 'restoring',
    );
    expect(restoring.length).toBeGreaterThan(0);
    expect(restoring[0]?.body.reason).toMatch(/0_5 restoring/);
    // The restore was measured.
    const { text } = await scrape(instance.opsPort() as number);
    expect(sum(samples(text, 'saldo_restore_records_total'))).toBeGreaterThanOrEqual(FILLER);
    expect(sum(samples(text, 'saldo_restore_duration_seconds_count'))).toBeGreaterThanOrEqual(PARTITIONS);
    expect(sum(samples(text, 'saldo_restore_remaining_records'))).toBe(0);
  });
});
