/**
 * Scale-out benchmark (`npm run bench:scale-out`): the counting topology run by 1, 2, … engine
 * processes that share one consumer group, on the same pre-produced input, rounds interleaved so
 * that this VM's drifting speed hits every instance count alike. It answers one question: does the
 * engine's throughput on this machine grow with more members (Kafka Streams' instances or stream
 * threads), i.e. is a single event loop what limits it?
 *
 *   npm run bench:scale-out [-- --records 400000] [--instances 1,2] [--rounds 2] [--guarantee at-least-once]
 *
 * The window runs from the first task ready in any process to every input offset committed, as in
 * `npm run bench:engine`; the first member starts alone and the others join a moment later, so the
 * window includes that rebalance. Peak RSS and CPU are per process, summed.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RECOMMENDED_NODE_OPTIONS } from '../cli/node-options.ts';
import { positiveInt } from './args.ts';
import {
  benchKafka,
  cleanUp,
  committedOffsets,
  createTopics,
  endOffsets,
  lag,
  resolveBrokers,
} from './kafka.ts';
import type { Guarantee, RunnerMessage, RunnerSpec, StopRequest } from './protocol.ts';
import { scaleOutFigures, type MemberResult, type ScaleOutFigures } from './scale-out-figures.ts';
import { produceAll, transactions } from './workload.ts';
import { STALL_VARIANTS, runStallPhase, type StallFigures } from './scale-out-stalls.ts';

const RUNNER = fileURLToPath(new URL('./engine-runner.ts', import.meta.url));
const POLL_MS = 100;
const TIMEOUT_MS = 10 * 60_000;

const HELP = `usage: npm run bench:scale-out -- [options]

  --records N          input records (default 400000), over records/10 accounts
  --partitions N       partitions of every topic (default 8)
  --instances LIST     engine processes per run, comma-separated (default 1,2)
  --rounds N           how many times the list is run, interleaved (default 2)
  --guarantee G        at-least-once (default) or exactly-once

  Then the stalls of a scale-out (exactly-once, 2 -> 3 instances while traffic flows), with
  standbys and warm-ups, with warm-ups only, and with immediate moves:
  --stall-partitions N partitions (default 12)
  --stall-preload N    records processed before the scale-out: the state (default 300000)
  --stall-accounts N   accounts, i.e. keys in the state (default 100000)
  --stall-rate N       records/s while the third instance joins (default 1000)
  --stall-seconds N    how long that traffic flows (default 40)
  --skip-stalls        only the throughput rounds
  --skip-throughput    only the stalls
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      records: { type: 'string' },
      partitions: { type: 'string' },
      instances: { type: 'string', default: '1,2,3' },
      'stall-partitions': { type: 'string' },
      'stall-preload': { type: 'string' },
      'stall-accounts': { type: 'string' },
      'stall-rate': { type: 'string' },
      'stall-seconds': { type: 'string' },
      'skip-stalls': { type: 'boolean', default: false },
      'skip-throughput': { type: 'boolean', default: false },
      rounds: { type: 'string' },
      guarantee: { type: 'string', default: 'at-least-once' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const records = positiveInt('records', values.records, 400_000);
  const partitions = positiveInt('partitions', values.partitions, 8);
  const rounds = positiveInt('rounds', values.rounds, 2);
  const counts = values.instances.split(',').map((n) => positiveInt('instances', n, 1));
  if (values.guarantee !== 'at-least-once' && values.guarantee !== 'exactly-once')
    throw new Error(`--guarantee must be at-least-once or exactly-once, got ${values.guarantee}`);
  const guarantee: Guarantee = values.guarantee;
  const log = (line: string) => process.stderr.write(`[scale-out] ${line}\n`);

  const { brokers } = await resolveBrokers(process.env, log);
  const kafka = benchKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  const run = `saldo-scale-${Date.now().toString(36)}`;
  const input = `${run}-input`;
  const topics = [input];
  const workDir = await mkdtemp(join(tmpdir(), 'saldo-scale-out-'));
  try {
    await createTopics(admin, [input], partitions);
    if (!values['skip-throughput'])
      await produceAll(kafka, input, transactions(records, Math.max(1, Math.floor(records / 10))));
    const ends = await endOffsets(admin, input);
    const results: ScaleOutFigures[] = [];
    for (let round = 0; round < (values['skip-throughput'] ? 0 : rounds); round++) {
      for (const n of counts) {
        const appId = `${run}-${round}-${n}`;
        const output = `${appId}-output`;
        topics.push(output);
        await createTopics(admin, [output], partitions);
        const figures = await runMembers(n, records, ends, {
          spec: (member) => ({
            appId,
            brokers,
            stateDir: join(workDir, appId, String(member)),
            input,
            output,
            guarantee,
            commitIntervalMs: 100,
            logLevel: 'warn',
            kafkaClientThread: 'main',
          }),
          committed: () => committedOffsets(admin, appId, input),
        });
        results.push(figures);
        log(
          `${n} instance(s): ${Math.round(figures.recordsPerSec).toLocaleString('en-US')} records/s, ` +
            `${figures.cpuMicrosPerRecord.toFixed(1)} CPU µs/record, RSS ${figures.peakRssMb.toFixed(0)} MB`,
        );
      }
    }
    if (!values['skip-stalls']) {
      const stallOptions = {
        kafka,
        admin,
        brokers,
        run,
        workDir,
        guarantee: 'exactly-once' as const,
        partitions: positiveInt('stall-partitions', values['stall-partitions'], 12),
        preloadRecords: positiveInt('stall-preload', values['stall-preload'], 300_000),
        accounts: positiveInt('stall-accounts', values['stall-accounts'], 100_000),
        rate: positiveInt('stall-rate', values['stall-rate'], 1_000),
        seconds: positiveInt('stall-seconds', values['stall-seconds'], 40),
        log,
        topics,
      };
      const stalls: StallFigures[] = [];
      for (const variant of STALL_VARIANTS) stalls.push(await runStallPhase(variant, stallOptions));
      console.log(
        `\nscale-out 2 -> 3 instances, exactly-once, ${stallOptions.partitions} partitions, ` +
          `${stallOptions.preloadRecords.toLocaleString('en-US')} records of state over ${stallOptions.accounts.toLocaleString('en-US')} accounts, ` +
          `${stallOptions.rate.toLocaleString('en-US')} records/s flowing\n`,
      );
      console.log(
        '| assignment | balanced after ms | longest stall ms | median stall ms | per partition ms |',
      );
      console.log('| --- | ---: | ---: | ---: | --- |');
      for (const f of stalls) {
        console.log(
          `| ${f.variant} | ${f.balancedAfterMs} | ${f.longestStallMs} | ${f.medianStallMs} | ${f.longestStallMsByPartition.join(' ')} |`,
        );
      }
    }
    if (results.length === 0) return;
    console.log(`\n${guarantee}, ${records.toLocaleString('en-US')} records, ${partitions} partitions\n`);
    console.log(
      '| instances | records/s | window ms | processed per instance | peak RSS MB (sum) | CPU µs/record |',
    );
    console.log('| ---: | ---: | ---: | --- | ---: | ---: |');
    for (const f of results) {
      console.log(
        `| ${f.instances} | ${Math.round(f.recordsPerSec).toLocaleString('en-US')} | ${Math.round(f.windowMs)} | ` +
          `${f.processed.map((p) => p.toLocaleString('en-US')).join(' + ')} | ${f.peakRssMb.toFixed(0)} | ` +
          `${f.cpuMicrosPerRecord.toFixed(1)} |`,
      );
    }
  } finally {
    // The engines' changelogs and dead-letter topics too: everything named after this run.
    const created = await admin.listTopics().catch(() => topics);
    await cleanUp(
      admin,
      created.filter((t) => t.startsWith(run)),
      run,
    ).catch(() => undefined);
    await admin.disconnect();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function runMembers(
  n: number,
  inputRecords: number,
  ends: Map<number, number>,
  opts: { spec: (member: number) => RunnerSpec; committed: () => Promise<Map<number, number>> },
): Promise<ScaleOutFigures> {
  let firstReadyAt: number | undefined;
  let failure: string | undefined;
  const members = Array.from({ length: n }, (_, member) => {
    const child = fork(RUNNER, [JSON.stringify(opts.spec(member))], {
      execArgv: [...RECOMMENDED_NODE_OPTIONS],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const result: { value?: MemberResult } = {};
    child.on('message', (m: RunnerMessage) => {
      if (m.type === 'restored') firstReadyAt ??= Date.now();
      else if (m.type === 'failed') failure = m.message;
      else if (m.type === 'result')
        result.value = {
          recordsProcessed: m.recordsProcessed,
          peakRssMb: m.maxRssKb / 1024,
          cpuMs: m.cpuUserMs + m.cpuSystemMs,
        };
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { child, result, exited };
  });
  const deadline = Date.now() + TIMEOUT_MS;
  let windowMs: number | undefined;
  try {
    for (;;) {
      if (failure !== undefined) throw new Error(`an engine failed: ${failure}`);
      if (Date.now() > deadline) throw new Error(`not done within ${TIMEOUT_MS / 1000} s`);
      await sleep(POLL_MS);
      if (firstReadyAt !== undefined && lag(ends, await opts.committed()) === 0) {
        windowMs = Date.now() - firstReadyAt;
        break;
      }
    }
  } finally {
    const stop: StopRequest = { type: 'stop' };
    for (const m of members) if (m.child.connected) m.child.send(stop);
    await Promise.all(members.map((m) => m.exited));
  }
  if (windowMs === undefined) throw new Error('the run ended before every offset was committed');
  const reported = members.flatMap((m) => (m.result.value ? [m.result.value] : []));
  if (reported.length !== n) throw new Error(`${n - reported.length} engine(s) stopped without reporting`);
  return scaleOutFigures(inputRecords, windowMs, reported);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`[scale-out] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
