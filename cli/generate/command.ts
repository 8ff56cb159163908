/**
 * `saldo generate` end to end: options from flags and environment, the Kafka sink through the
 * schema registry (or none for a dry run), the run with progress on stderr, the summary on stdout
 * (a table, or JSON with --json). Ctrl-C stops after the batch in flight and still writes the
 * expected balances of what was sent; a second Ctrl-C exits at once.
 */
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import { generateConfigFrom, type GenerateConfig, type GenerateFlags } from './options.ts';
import { connectKafkaLimitSink, connectKafkaSink } from './kafka-sink.ts';
import { systemRunClock, type RunClock } from './pacer.ts';
import { progressReporter, type ProgressOutput } from './progress.ts';
import { runGenerator } from './run.ts';
import { DiscardingSink, TransactionSinkError, type LimitSink, type TransactionSink } from './sink.ts';
import { formatCount, formatSummary, type GenerateSummary } from './summary.ts';
import { formatDuration } from '../../processor/durations.ts';

/** What the command reads and writes besides Kafka: the process's, unless a test gives its own. */
export interface GenerateIo {
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown };
  /** Progress, and the Kafka client's warnings. */
  stderr: ProgressOutput;
  clock: RunClock;
  /** ms since the epoch: the default start time of event times. */
  wallClock: () => number;
  /** Stops the run after the batch in flight; when absent, SIGINT does. */
  signal?: AbortSignal;
}

function processIo(): GenerateIo {
  return {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    clock: systemRunClock,
    wallClock: () => Date.now(),
  };
}

async function openSink(config: GenerateConfig, stderr: ProgressOutput): Promise<TransactionSink> {
  if (config.dryRun) return new DiscardingSink();
  const registry = ConfluentAvroRegistry.connect(config.registryUrl, config.registrySecurity);
  return connectKafkaSink({
    brokers: config.brokers,
    security: config.kafkaSecurity,
    topic: config.topic,
    serde: productSerdes(registry).transaction,
    log: (line) => stderr.write(`${line}\n`),
  });
}

/** The account-limits sink of a realistic run; none for a dry run or with --no-limits. */
async function openLimitSink(config: GenerateConfig, stderr: ProgressOutput): Promise<LimitSink | undefined> {
  if (config.dryRun || config.limitsTopic === null) return undefined;
  const registry = ConfluentAvroRegistry.connect(config.registryUrl, config.registrySecurity);
  try {
    return await connectKafkaLimitSink({
      brokers: config.brokers,
      security: config.kafkaSecurity,
      topic: config.limitsTopic,
      serde: productSerdes(registry).limitUpdate,
      clientId: 'saldo-generate-limits',
      log: (line) => stderr.write(`${line}\n`),
    });
  } catch (error) {
    if (!(error instanceof TransactionSinkError) || error.retriable) throw error;
    throw new TransactionSinkError(
      `${error.message} (the accounts' limits go there: --limits-topic <name>, or --no-limits)`,
      {
        retriable: false,
        context: { topic: config.limitsTopic },
        cause: error,
      },
    );
  }
}

function announce(config: GenerateConfig): string {
  const limits = [
    config.count === undefined ? undefined : `${formatCount(config.count)} records`,
    config.durationMs === undefined ? undefined : `${config.durationMs / 1_000} s`,
  ].filter((limit) => limit !== undefined);
  const rate = config.rate === undefined ? 'as fast as possible' : `at ${formatCount(config.rate)} tx/s`;
  const where = config.dryRun ? 'nowhere (dry run)' : `${config.topic} on ${config.brokers.join(',')}`;
  const realistic = config.realistic;
  const time =
    realistic === undefined
      ? 'event time follows emission'
      : `event time over ${formatDuration(realistic.spanMs)} from ${new Date(config.startTime).toISOString()}, ${realistic.historyDays} days of history, fraud ${realistic.fraudRate}`;
  return `saldo generate: ${limits.join(' or ')} (${formatCount(config.accounts)} accounts, ${rate}, seed ${config.seed}; ${time}) to ${where}\n`;
}

/** Runs the generator with validated options; prints and returns the summary. */
export async function runGenerate(
  config: GenerateConfig,
  io: Partial<GenerateIo> = {},
): Promise<GenerateSummary> {
  const { stdout, stderr, clock, signal } = { ...processIo(), ...io };
  stderr.write(announce(config));
  const sink = await openSink(config, stderr);
  let summary: GenerateSummary;
  let limits: LimitSink | undefined;
  try {
    limits = await openLimitSink(config, stderr);
    summary = await runGenerator(config, sink, { clock, progress: progressReporter(stderr), signal, limits });
  } finally {
    await Promise.all([sink.close(), limits?.close()]);
  }
  stdout.write(config.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
  return summary;
}

/** What cli/main.ts calls with commander's flags. Throws ConfigError on invalid options. */
export async function generateCommandAction(
  flags: GenerateFlags,
  io: Partial<GenerateIo> = {},
): Promise<GenerateSummary> {
  const resolved = { ...processIo(), ...io };
  const config = generateConfigFrom(resolved.env, flags, resolved.wallClock());
  if (resolved.signal !== undefined) return runGenerate(config, resolved);
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  // Once: the second Ctrl-C finds no listener and ends the process as usual.
  process.once('SIGINT', onSigint);
  try {
    return await runGenerate(config, { ...resolved, signal: interrupt.signal });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
