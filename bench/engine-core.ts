/**
 * The engine's own cost per record, without Kafka: one StreamTask of the counting topology (real
 * processors, serdes, task transaction, LevelDB state, commit bookkeeping) fed with consumed
 * records built in memory, committing every commit interval through a commit unit that only
 * hands back offsets. Comparing its CPU µs/record with the full run's tells the engine's share
 * from the Kafka client's (kafkajs encodes and decodes on the same main thread).
 *
 *   node bench/engine-core.ts [--records 200000] [--accounts 20000] [--commit-interval-ms 100]
 *                             [--cache-bytes N (the task's state cache; default: the engine's)] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  EngineMetrics,
  createLogger,
  systemClock,
  validateStreamsConfig,
  type StreamsConfigInput,
  type Topology,
} from '../processor/index.ts';
import type { CommitUnit, OutgoingRecords, ProducedOffsets } from '../processor/kafka/client.ts';
import type { ConsumedRecord } from '../processor/records.ts';
import { RecordBatches } from '../processor/kafka/wire/record-batches.ts';
import type { StreamTask } from '../processor/task.ts';
import { TaskFactory } from '../processor/task-factory.ts';
import { changelogTopicFor } from '../processor/internal-topics.ts';
import { countingTopology } from '../topologies/counting.ts';
import { transactions } from './workload.ts';

export interface CoreResult {
  records: number;
  accounts: number;
  elapsedMs: number;
  cpuUsPerRecord: number;
  /** The main thread's share: without LevelDB's background compactions and libuv's batch writes. */
  mainThreadCpuUsPerRecord: number;
  /** Peak resident set of the whole process (the encoded input included), in MB. */
  peakRssMb: number;
  recordsPerSec: number;
  commits: number;
  outgoingPerRecord: number;
}

/**
 * Takes the records as the kafkajs adapter does (RecordBatches: encoded into record batches as
 * they are forwarded, which is the engine's work) and answers with offsets, as a broker would,
 * without sending anything.
 */
export class CountingCommitUnit implements CommitUnit {
  readonly transactional = true;
  readonly #next = new Map<string, number>();
  readonly #partitionCounts: ReadonlyMap<string, number>;
  produced = 0;

  constructor(partitionCounts: ReadonlyMap<string, number>) {
    this.#partitionCounts = partitionCounts;
  }

  outgoing(): RecordBatches {
    return new RecordBatches(this.#partitionCounts);
  }

  async commit(records: OutgoingRecords): Promise<ProducedOffsets> {
    const out: ProducedOffsets = new Map();
    for (const round of RecordBatches.of(records).rounds()) {
      for (const batch of round) {
        const key = `${batch.topic}:${batch.partition}`;
        const next = (this.#next.get(key) ?? 0) + batch.count;
        this.#next.set(key, next);
        out.set(key, next - 1);
        this.produced += batch.count;
      }
    }
    return out;
  }

  async close(): Promise<void> {}
}

/**
 * One running task of `topology`, as the task manager runs it with no post-commit hook, on a
 * commit unit that answers with offsets: its output topics and changelogs have 8 partitions.
 */
export async function openCoreTask(
  topology: Topology,
  stateDir: string,
  outputTopics: readonly string[],
  config: Partial<StreamsConfigInput> = {},
): Promise<{ task: StreamTask; unit: CountingCommitUnit }> {
  const validated = validateStreamsConfig({
    applicationId: 'bench-core',
    brokers: ['127.0.0.1:1'],
    stateDir,
    logLevel: 'warn',
    ...config,
  });
  const task = await new TaskFactory({
    topology,
    config: validated,
    logger: createLogger({ level: 'warn' }),
    metrics: new EngineMetrics(),
    clock: systemClock,
    // As the task manager runs tasks when no post-commit hook is registered.
    collectCommittedOutputs: false,
  }).create(0);
  const unit = new CountingCommitUnit(
    new Map([
      ...outputTopics.map((topic) => [topic, 8] as const),
      ...topology.storeSpecs.map(
        (spec) => [changelogTopicFor(validated.applicationId, spec.name), 8] as const,
      ),
    ]),
  );
  task.beginRestoring();
  task.startRunning(unit, new Map());
  return { task, unit };
}

export async function runCore(
  records: number,
  accounts: number,
  commitIntervalMs = 100,
  cacheBytes?: number,
): Promise<CoreResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'saldo-bench-core-'));
  const topics = { input: 'core-in', output: 'core-out' };
  const { task, unit } = await openCoreTask(countingTopology(topics), stateDir, [topics.output], {
    commitIntervalMs,
    ...(cacheBytes === undefined ? {} : { stateCacheMaxBytesPerTask: cacheBytes }),
  });

  // Encode the input first, then time processing. The bytes sit in two arenas and each consumed
  // record is made (two Buffer views and the record object, as the consumer makes them) just before
  // it is processed: 300,000 records built up front would be millions of long-lived objects that
  // every major GC of the engine would have to mark, which a running consumer never holds.
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  for (const t of transactions(records, accounts, 1)) {
    keys.push(Buffer.from(t.account));
    values.push(Buffer.from(JSON.stringify(t.input)));
  }
  const keyArena = Buffer.concat(keys);
  const valueArena = Buffer.concat(values);
  const keyEnds = new Uint32Array(records);
  const valueEnds = new Uint32Array(records);
  for (let i = 0, keyEnd = 0, valueEnd = 0; i < records; i++) {
    keyEnds[i] = keyEnd += (keys[i] as Buffer).length;
    valueEnds[i] = valueEnd += (values[i] as Buffer).length;
  }
  keys.length = 0;
  values.length = 0;
  const now = Date.now();
  const consumed = (offset: number): ConsumedRecord => ({
    topic: topics.input,
    partition: 0,
    offset,
    timestamp: now,
    key: keyArena.subarray(offset === 0 ? 0 : keyEnds[offset - 1], keyEnds[offset]),
    value: valueArena.subarray(offset === 0 ? 0 : valueEnds[offset - 1], valueEnds[offset]),
    headers: {},
  });

  let commits = 0;
  const cpu = process.cpuUsage();
  const mainThreadCpu = process.threadCpuUsage();
  const started = performance.now();
  for (let offset = 0; offset < records; offset++) {
    await task.process(consumed(offset));
    if (task.needsCommit(Date.now())) {
      await task.commit();
      commits++;
    }
  }
  if (task.hasUncommittedWork) {
    await task.commit();
    commits++;
  }
  const elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const mainThreadUsed = process.threadCpuUsage(mainThreadCpu);
  await task.close();
  await rm(stateDir, { recursive: true, force: true });
  return {
    records,
    accounts,
    elapsedMs,
    cpuUsPerRecord: (used.user + used.system) / records,
    mainThreadCpuUsPerRecord: (mainThreadUsed.user + mainThreadUsed.system) / records,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    recordsPerSec: records / (elapsedMs / 1000),
    commits,
    outgoingPerRecord: unit.produced / records,
  };
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      records: { type: 'string' },
      accounts: { type: 'string' },
      'commit-interval-ms': { type: 'string' },
      'cache-bytes': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const records = Number(values.records ?? 200_000);
  const accounts = Number(values.accounts ?? Math.max(1, Math.floor(records / 10)));
  const cacheBytes = values['cache-bytes'] === undefined ? undefined : Number(values['cache-bytes']);
  const result = await runCore(records, accounts, Number(values['commit-interval-ms'] ?? 100), cacheBytes);
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(
      `engine core (no Kafka): ${records.toLocaleString('en-US')} records, ${accounts.toLocaleString('en-US')} accounts: ` +
        `${Math.round(result.recordsPerSec).toLocaleString('en-US')} records/s, ${result.cpuUsPerRecord.toFixed(1)} µs CPU/record ` +
        `(main thread ${result.mainThreadCpuUsPerRecord.toFixed(1)}), peak RSS ${Math.round(result.peakRssMb)} MB, ` +
        `${result.commits} commits, ${result.outgoingPerRecord.toFixed(2)} records produced per input record`,
    );
  }
}
