/**
 * The product topology's own cost per transaction, without Kafka: one StreamTask of the topology
 * `saldo run` runs (admit and balances, Avro serdes, TTL stores, LevelDB), fed with the generator's
 * transactions encoded in memory, committing every commit interval through a commit unit that only
 * hands back offsets. Beside bench/engine-core.ts's counting figure, it tells what the product adds
 * per record; under `--cpu-prof`, where.
 *
 *   node bench/pipeline-core.ts [--transactions 200000] [--accounts 50000] [--balances-only]
 *                               [--cache-bytes N (the task's state cache; default: the product's, as saldo run)] [--json]
 *
 * `--balances-only` runs the product without its fraud half (velocity, limits, rules).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RULE_IDS, TrafficGenerator } from '../cli/generate/index.ts';
import type { ConsumedRecord } from '../processor/records.ts';
import { InMemoryAvroRegistry, productSerdes } from '../schemas/index.ts';
import {
  DEFAULT_PRODUCT_SETTINGS,
  DEFAULT_PRODUCT_TOPICS,
  PRODUCT_STATE_CACHE_BYTES_PER_TASK,
  productTopology,
} from '../topologies/product.ts';
import { openCoreTask } from './engine-core.ts';

export interface PipelineCoreResult {
  transactions: number;
  accounts: number;
  cpuUsPerTransaction: number;
  mainThreadCpuUsPerTransaction: number;
  transactionsPerSec: number;
  commits: number;
  outgoingPerTransaction: number;
  /** The process's peak resident memory (V8 heap, LevelDB's memtables and caches, the input). */
  peakRssMb: number;
}

export async function runPipelineCore(
  transactions: number,
  accounts: number,
  options: {
    balancesOnly?: boolean;
    cacheBytes?: number;
    /** Leaves the task's stores here (bench/leveldb-reads.ts reads them) instead of a temporary directory. */
    stateDir?: string;
  } = {},
): Promise<PipelineCoreResult> {
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'saldo-bench-pipeline-core-')));
  const registry = new InMemoryAvroRegistry();
  const serdes = productSerdes(registry);
  const settings = { ...DEFAULT_PRODUCT_SETTINGS, ...(options.balancesOnly === true ? { fraud: null } : {}) };
  const topology = productTopology({ serdes, settings });
  const { task, unit } = await openCoreTask(
    topology,
    stateDir,
    [DEFAULT_PRODUCT_TOPICS.balances, DEFAULT_PRODUCT_TOPICS.fraudAlerts],
    // As `saldo run` gives the product (cli/commands/run.ts), unless told otherwise.
    { stateCacheMaxBytesPerTask: options.cacheBytes ?? PRODUCT_STATE_CACHE_BYTES_PER_TASK },
  );

  // Encoded up front (Avro through the in-memory registry), as a fetch hands them over: a month
  // of the accounts' lives with 1% of fraud incidents, as bench:pipeline sends.
  const spanMs = 30 * 86_400_000;
  const traffic = new TrafficGenerator({
    accounts,
    seed: 1,
    startTime: Date.now() - spanMs,
    spacingMs: 1,
    realistic: { spanMs, records: transactions, historyDays: 0, fraudRate: 0.01, patterns: RULE_IDS },
  });
  const topic = DEFAULT_PRODUCT_TOPICS.transactions;
  const encoded: Array<{ key: Buffer; value: Buffer; timestamp: number }> = [];
  for (let i = 0; i < transactions; i++) {
    const { record } = traffic.next();
    encoded.push({
      key: Buffer.from(record.accountId),
      value: await serdes.transaction.serialize(record, { topic, part: 'value' }),
      timestamp: record.eventTime,
    });
  }
  const consumed = (offset: number): ConsumedRecord => {
    const e = encoded[offset] as (typeof encoded)[number];
    return { topic, partition: 0, offset, timestamp: e.timestamp, key: e.key, value: e.value, headers: {} };
  };
  // The first record of each serde waits on the registry once: not what is measured.
  await task.process(consumed(0));

  let commits = 0;
  const cpu = process.cpuUsage();
  const mainThreadCpu = process.threadCpuUsage();
  const started = performance.now();
  for (let offset = 1; offset < transactions; offset++) {
    const pending = task.processNow(consumed(offset));
    if (pending) await pending;
    if (task.needsCommit(Date.now())) {
      await task.commit();
      commits++;
    }
  }
  await task.commit();
  commits++;
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const mainUsed = process.threadCpuUsage(mainThreadCpu);
  await task.close();
  if (options.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
  const measured = transactions - 1;
  return {
    transactions,
    accounts,
    cpuUsPerTransaction: (used.user + used.system) / measured,
    mainThreadCpuUsPerTransaction: (mainUsed.user + mainUsed.system) / measured,
    transactionsPerSec: measured / (elapsedMs / 1000),
    commits,
    outgoingPerTransaction: unit.produced / measured,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      transactions: { type: 'string' },
      accounts: { type: 'string' },
      'balances-only': { type: 'boolean', default: false },
      'cache-bytes': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const result = await runPipelineCore(
    Number(values.transactions ?? 200_000),
    Number(values.accounts ?? 50_000),
    {
      balancesOnly: values['balances-only'],
      ...(values['cache-bytes'] === undefined ? {} : { cacheBytes: Number(values['cache-bytes']) }),
    },
  );
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `product core (no Kafka): ${result.transactions.toLocaleString('en-US')} transactions, ${result.accounts.toLocaleString('en-US')} accounts: ` +
        `${Math.round(result.transactionsPerSec).toLocaleString('en-US')} transactions/s, ${result.cpuUsPerTransaction.toFixed(1)} µs CPU each ` +
        `(main thread ${result.mainThreadCpuUsPerTransaction.toFixed(1)}), ${result.commits} commits, ` +
        `${result.outgoingPerTransaction.toFixed(2)} records produced per transaction`,
    );
  }
}
