/**
 * The scale-out benchmark's second question: while traffic flows at a steady rate, how long does
 * each partition go without committed output when a third instance joins two that hold the state?
 * Measured as a read_committed reader sees the output topic, for three set-ups of the assignment:
 *
 * - standbys + warm-ups (the defaults): the newcomer reads the changelogs first, tasks move warm;
 * - warm-ups only (numStandbyReplicas 0): the same moves; no standby anywhere;
 * - immediate moves (acceptableRecoveryLag so large that any instance counts as caught up): tasks
 *   move at once and restore from scratch on the newcomer while their partitions wait — how
 *   scale-out worked before state-aware assignment.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { RECOMMENDED_NODE_OPTIONS } from '../cli/node-options.ts';
import { committedOffsets, createTopics, endOffsets, lag } from './kafka.ts';
import type { Guarantee, RunnerMessage, RunnerSpec, StopRequest } from './protocol.ts';
import { produceAll, transactions } from './workload.ts';

const RUNNER = fileURLToPath(new URL('./engine-runner.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type StallVariant = 'standbys + warm-ups' | 'warm-ups only' | 'immediate moves';
export const STALL_VARIANTS: readonly StallVariant[] = [
  'standbys + warm-ups',
  'warm-ups only',
  'immediate moves',
];

export interface StallFigures {
  variant: StallVariant;
  /** From the newcomer's start until the group ran 4 / 4 / 4 tasks. */
  balancedAfterMs: number;
  /** Per partition, the longest time without committed output from the newcomer's start until 2 s after balance. */
  longestStallMsByPartition: number[];
  longestStallMs: number;
  medianStallMs: number;
}

export interface StallPhaseOptions {
  kafka: Kafka;
  admin: Admin;
  brokers: string[];
  run: string;
  workDir: string;
  guarantee: Guarantee;
  partitions: number;
  /** Records produced before the instances start: the state the tasks carry. */
  preloadRecords: number;
  accounts: number;
  /** The steady rate while the newcomer joins, records/s, and for how long. */
  rate: number;
  seconds: number;
  log: (line: string) => void;
  topics: string[];
}

/** The group's active tasks per member (from the coordinator). */
async function activeCounts(admin: Admin, groupId: string): Promise<number[]> {
  const { groups } = await admin.describeGroups([groupId]);
  const group = groups[0];
  if (!group || group.state !== 'Stable') return [];
  const { AssignerProtocol } = (await import('kafkajs')).default;
  return group.members.map((m) => {
    const assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
    return new Set(Object.values(assignment).flat()).size;
  });
}

export async function runStallPhase(variant: StallVariant, opts: StallPhaseOptions): Promise<StallFigures> {
  const { kafka, admin, log } = opts;
  const appId = `${opts.run}-stall-${STALL_VARIANTS.indexOf(variant)}`;
  const input = `${appId}-input`;
  const output = `${appId}-output`;
  opts.topics.push(input, output);
  await createTopics(admin, [input, output], opts.partitions);
  await produceAll(kafka, input, transactions(opts.preloadRecords, opts.accounts, 7));

  const spec = (member: string): RunnerSpec => ({
    appId,
    brokers: opts.brokers,
    stateDir: join(opts.workDir, appId, member),
    input,
    output,
    guarantee: opts.guarantee,
    commitIntervalMs: 100,
    logLevel: 'warn',
    kafkaClientThread: 'main',
    assignment: {
      instanceId: member,
      numStandbyReplicas: variant === 'standbys + warm-ups' ? 1 : 0,
      acceptableRecoveryLag: variant === 'immediate moves' ? Number.MAX_SAFE_INTEGER : 10_000,
      heartbeatIntervalMs: 500,
      probingRebalanceIntervalMs: 2_000,
    },
  });
  const children = new Map<string, ReturnType<typeof fork>>();
  let failure: string | undefined;
  const start = (member: string) => {
    const child = fork(RUNNER, [JSON.stringify(spec(member))], {
      execArgv: [...RECOMMENDED_NODE_OPTIONS],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    child.on('message', (m: RunnerMessage) => {
      if (m.type === 'failed') failure = m.message;
    });
    children.set(member, child);
  };

  const arrivals = new Map<number, number[]>();
  let watcher: Consumer | undefined;
  try {
    start('a');
    start('b');
    // Both catch up with the preload: the state is theirs.
    const preloadEnds = await endOffsets(admin, input);
    for (const deadline = Date.now() + 300_000; ; await sleep(250)) {
      if (failure !== undefined) throw new Error(`an engine failed: ${failure}`);
      if (Date.now() > deadline) throw new Error('the preload was not processed within 300 s');
      if (lag(preloadEnds, await committedOffsets(admin, appId, input)) === 0) break;
    }

    watcher = kafka.consumer({ groupId: `${appId}-watch`, readUncommitted: false, maxWaitTimeInMs: 50 });
    await watcher.connect();
    await watcher.subscribe({ topics: [output], fromBeginning: false });
    await watcher.run({
      eachBatch: async ({ batch }) => {
        if (batch.messages.length === 0) return;
        const list = arrivals.get(batch.partition) ?? [];
        list.push(Date.now());
        arrivals.set(batch.partition, list);
      },
    });

    const flowing = produceSteadily(kafka, input, opts.rate, opts.seconds, opts.accounts);
    await sleep(Math.min(8_000, (opts.seconds * 1000) / 4));
    const scaleOutAt = Date.now();
    start('c');
    let balancedAt: number | undefined;
    const perMember = Math.floor(opts.partitions / 3);
    for (const deadline = Date.now() + 180_000; Date.now() < deadline; await sleep(200)) {
      if (failure !== undefined) throw new Error(`an engine failed: ${failure}`);
      const counts = await activeCounts(admin, appId).catch(() => []);
      if (counts.length === 3 && counts.every((n) => n >= perMember)) {
        balancedAt = Date.now();
        break;
      }
    }
    if (balancedAt === undefined) throw new Error(`${variant}: the group did not balance within 180 s`);
    await flowing;
    const until = Math.min(Date.now(), balancedAt + 2_000);
    const stalls = Array.from({ length: opts.partitions }, (_, p) => {
      const times = [
        scaleOutAt,
        ...(arrivals.get(p) ?? []).filter((t) => t > scaleOutAt && t < until),
        until,
      ];
      let longest = 0;
      for (let i = 1; i < times.length; i++)
        longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
      return longest;
    });
    const sorted = [...stalls].sort((x, y) => x - y);
    const figures: StallFigures = {
      variant,
      balancedAfterMs: balancedAt - scaleOutAt,
      longestStallMsByPartition: stalls,
      longestStallMs: sorted[sorted.length - 1] ?? 0,
      medianStallMs: sorted[Math.floor(sorted.length / 2)] ?? 0,
    };
    log(
      `${variant}: balanced after ${figures.balancedAfterMs} ms; longest stall ${figures.longestStallMs} ms, median ${figures.medianStallMs} ms`,
    );
    return figures;
  } finally {
    await watcher?.disconnect().catch(() => undefined);
    const stop: StopRequest = { type: 'stop' };
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            if (child.connected) child.send(stop);
            else child.kill('SIGKILL');
          }),
      ),
    );
  }
}

/** `rate` records/s for `seconds`, in batches every 100 ms over `accounts` accounts. */
async function produceSteadily(kafka: Kafka, topic: string, rate: number, seconds: number, accounts: number) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const perTick = Math.max(1, Math.round(rate / 10));
    const source = transactions(rate * seconds, accounts, 8);
    const startedAt = Date.now();
    for (let tick = 0; tick < seconds * 10; tick++) {
      const messages = [];
      for (let i = 0; i < perTick; i++) {
        const next = source.next();
        if (next.done) break;
        messages.push({ key: next.value.account, value: JSON.stringify(next.value.input) });
      }
      await producer.send({ topic, acks: -1, messages });
      const due = startedAt + (tick + 1) * 100;
      if (due > Date.now()) await sleep(due - Date.now());
    }
  } finally {
    await producer.disconnect();
  }
}
