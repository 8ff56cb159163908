import { hostname } from 'node:os';
import { z } from 'zod';
import { DEFAULT_CACHE_MAX_BYTES } from '../state/index.ts';
import { ConfigError } from './errors.ts';
import { endpointProblem } from './queries/endpoint.ts';
import { kafkaSecuritySchema } from './kafka/security.ts';

const topicSafe = /^[A-Za-z0-9._-]+$/;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The smallest fetchMaxBytes: also the floor of a stream thread's share of it. */
export const MIN_FETCH_MAX_BYTES = 64 * 1024;

/** How many records a task buffers before it commits early, unless configured. */
export const DEFAULT_MAX_BUFFERED_RECORDS_PER_TASK = 5_000;

/**
 * The engine's configuration, validated once at start-up. Every problem is reported at once, with
 * the name of the setting.
 */
export const streamsConfigSchema = z.object({
  applicationId: z
    .string()
    .min(1)
    .regex(topicSafe, 'may use only letters, digits, ".", "_" and "-" (it names topics and the group)'),
  brokers: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1),
  stateDir: z.string().min(1),
  processingGuarantee: z.enum(['exactly-once', 'at-least-once']).default('exactly-once'),
  commitIntervalMs: z.number().int().min(1).max(600_000).default(100),
  /**
   * How long a task with several input partitions (a stream and a table, say) waits for an empty
   * one before processing the others' records (Kafka Streams' max.task.idle.ms; processor/
   * partition-group.ts). 0, Kafka Streams' default and ours: wait only for a partition known to
   * hold records not fetched yet, never for records that do not exist yet, so a quiet table topic
   * adds no latency, and order holds for whatever both inputs hold when fetched. More trades latency
   * for order when one input's producer runs late; -1 never waits (arrival order among what is
   * buffered). A task with one input never waits.
   */
  maxTaskIdleMs: z.number().int().min(-1).max(600_000).default(0),
  /** A task commits early once it buffers this many records, so memory stays bounded. */
  maxBufferedRecordsPerTask: z.number().int().min(1).default(DEFAULT_MAX_BUFFERED_RECORDS_PER_TASK),
  /**
   * Bytes (approximate heap) of each task's read cache, shared evenly by its stores, which serves
   * hot keys without a LevelDB read; 0 turns it off. The instance holds at most tasks × this.
   */
  stateCacheMaxBytesPerTask: z
    .number()
    .int()
    .min(0)
    .max(1024 * 1024 * 1024)
    .default(DEFAULT_CACHE_MAX_BYTES),
  /**
   * Bytes a fetch of the input may return, in all and per partition. A fetch is decoded whole and
   * lives until processed, so these bound much of the heap; kafkajs' defaults are 10 MiB / 1 MiB.
   * Measured (docs/operations.md): 2 MiB against 4 MiB in all took 35-60 MB off the peak RSS and a
   * third off commit latency, at no measurable cost in throughput, with one stream thread and two;
   * 1 MiB against 2 MiB took 25 MB off the product benchmark's RSS (1,000,000 accounts), which had
   * been at its 500 MB target, at the same throughput.
   */
  fetchMaxBytes: z
    .number()
    .int()
    .min(MIN_FETCH_MAX_BYTES)
    .max(256 * 1024 * 1024)
    .default(1024 * 1024),
  fetchMaxBytesPerPartition: z
    .number()
    .int()
    .min(16 * 1024)
    .max(64 * 1024 * 1024)
    .default(512 * 1024),
  /**
   * Commits in a row a task may fail on an error retrying cannot fix (an output topic that does
   * not exist, no authorization) before the instance stops with that error; between them the task
   * pauses 1 s, 2 s, 4 s…, so the default gives up after about 15 s.
   */
  unrecoverableCommitAttempts: z.number().int().min(1).max(100).default(5),
  /**
   * Output (sink) topics that do not exist are created at start, with the inputs' partition count
   * and the configs the topology gives them; otherwise the app refuses to start, naming them.
   */
  createOutputTopics: z.boolean().default(false),
  sessionTimeoutMs: z.number().int().min(3_000).max(300_000).default(10_000),
  heartbeatIntervalMs: z.number().int().min(100).default(1_000),
  appVersion: z.string().min(1).default('0.1.0'),
  instanceId: z.string().min(1).default(`${hostname()}-${process.pid}`),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Where the Kafka client runs: 'main' keeps kafkajs on the engine's thread; 'worker' puts it in
   * a thread of its own. Measured on 2 cores with the broker beside it (BENCHMARKS.md), the thread
   * hop and the second heap cost more than the parallelism gains, so 'main' is the default.
   */
  kafkaClientThread: z.enum(['main', 'worker']).default('main'),
  /**
   * Stream threads of this instance (Kafka Streams' num.stream.threads): each with its own Kafka
   * clients and tasks, a member of the group of its own; thread 0 on the main thread, the others in
   * workers. One event loop is what limits an instance (BENCHMARKS.md); more threads use more cores.
   * Above 1, the app runs through StreamThreadsApp, which builds the topology in every thread from a
   * module.
   */
  streamThreads: z.number().int().min(1).max(32).default(1),
  /**
   * The instance (process) this member belongs to: every stream thread of one process shares it
   * and the state directory, so the assignor places standbys on other instances. Defaults to
   * instanceId; StreamThreadsApp sets it for its threads.
   */
  processId: z.string().min(1).optional(),
  /**
   * Warm copies of each task's state kept by other instances (Kafka Streams'
   * num.standby.replicas): a failed instance's tasks resume there without a full restore. With a
   * single instance there is nowhere to put one, so none is kept.
   */
  numStandbyReplicas: z.number().int().min(0).max(8).default(1),
  /** Changelog records an instance's state may lag and still take a task over without a warm-up. */
  acceptableRecoveryLag: z.number().int().min(0).default(10_000),
  /** Warm-up replicas in the whole group at once, each reading a task's changelogs to catch up. */
  maxWarmupReplicas: z.number().int().min(1).max(64).default(2),
  /**
   * The least time between two probing rebalances (those that move a task to its caught-up
   * warm-up): a member whose warm-ups have caught up asks for one, no sooner than this after the last.
   */
  probingRebalanceIntervalMs: z.number().int().min(1_000).max(3_600_000).default(5_000),
  /**
   * "host:port" where this instance answers interactive queries (Kafka Streams' application.server):
   * advertised to the group, so that the others forward queries for its tasks there; it listens on
   * that port. Unset: no query server, and the instance advertises none.
   */
  applicationServer: z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      const problem = text === undefined ? undefined : endpointProblem(text);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /**
   * How often, at most, each task writes a state mark (processor/state-marks.ts) to
   * `<app>-state-marks` inside its commit transaction: the input offsets and changelog offsets of
   * its previous commit, a consistent point `saldo replay` can rebuild state at and reprocess
   * from. Only with exactly-once; 0 writes none (replay then has nothing to start from).
   */
  stateMarkIntervalMs: z.number().int().min(0).max(3_600_000).default(60_000),
  /**
   * How far back `saldo replay` can go: changelogs keep every record younger than this uncompacted
   * (`min.compaction.lag.ms`, set at start), and state marks are kept this long. Changelogs grow by
   * what the stores write in this time; 7 days by default.
   */
  replayHorizonMs: z
    .number()
    .int()
    .min(60_000)
    .max(365 * DAY_MS)
    .default(7 * DAY_MS),
  /**
   * How every Kafka client of the instance authenticates and encrypts (processor/kafka/security.ts);
   * PLAINTEXT when unset. Holds secrets: never log the config whole.
   */
  kafkaSecurity: kafkaSecuritySchema.optional(),
});

export type StreamsConfigInput = z.input<typeof streamsConfigSchema>;
export type StreamsConfig = z.output<typeof streamsConfigSchema>;

function invalid(problems: string[]): ConfigError {
  return new ConfigError(`invalid saldo configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
}

/** Rules between settings, checked once each setting is valid on its own. */
function crossFieldProblems(config: StreamsConfig): string[] {
  const problems: string[] = [];
  if (config.heartbeatIntervalMs * 3 > config.sessionTimeoutMs) {
    problems.push(
      `heartbeatIntervalMs: ${config.heartbeatIntervalMs} must be at most a third of sessionTimeoutMs (${config.sessionTimeoutMs})`,
    );
  }
  if (config.fetchMaxBytesPerPartition > config.fetchMaxBytes) {
    problems.push(
      `fetchMaxBytesPerPartition: ${config.fetchMaxBytesPerPartition} must not exceed fetchMaxBytes (${config.fetchMaxBytes})`,
    );
  }
  if (config.stateMarkIntervalMs >= config.replayHorizonMs) {
    problems.push(
      `stateMarkIntervalMs: ${config.stateMarkIntervalMs} must be below replayHorizonMs (${config.replayHorizonMs}), or every mark would be gone before the next`,
    );
  }
  return problems;
}

/** Whether the tasks write state marks: with exactly-once only, and unless turned off (0). */
export function writesStateMarks(config: StreamsConfig): boolean {
  return config.processingGuarantee === 'exactly-once' && config.stateMarkIntervalMs > 0;
}

export function validateStreamsConfig(input: StreamsConfigInput): StreamsConfig {
  const parsed = streamsConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`));
  }
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) throw invalid(problems);
  return parsed.data;
}
