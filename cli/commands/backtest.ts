import { tmpdir } from 'node:os';
import {
  ConfigError,
  MissingTopicsError,
  systemClock,
  validateStreamsConfig,
  type Clock,
} from '../../processor/index.ts';
import { parseDuration } from '../../processor/durations.ts';
import { parseRuleSet, readRuleSetFile } from '../../topologies/fraud/rule-set.ts';
import { runBacktest, type BacktestConfig } from '../backtest/run.ts';
import type { BacktestReport, RuleSetSummary } from '../backtest/report.ts';
import { TIME_FORMS, parseTime, runIdAt } from '../backtest/times.ts';
import { streamsConfigFrom } from '../env-config.ts';
import { productConfigFrom, productSettingsOf } from '../product-config.ts';

export interface BacktestFlags {
  rules?: string;
  productionRules?: string;
  from?: string;
  to?: string;
  warmup?: string;
  outputTopic?: string;
  stateDir?: string;
  appId?: string;
  brokers?: string;
  registryUrl?: string;
  transactionsTopic?: string;
  limitsTopic?: string;
  alertsTopic?: string;
  fraudGrace?: string;
  holdExpiry?: string;
  dedupRetention?: string;
  maxEventTimeAhead?: string;
  json?: boolean;
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** `--warmup`: `all` (the default: from the start of the inputs) or a duration; undefined: neither. */
function warmupOf(text: string | undefined): { ms: number | undefined } | undefined {
  if (text === undefined || text === 'all') return { ms: undefined };
  const ms = parseDuration(text);
  return ms === undefined || ms <= 0 ? undefined : { ms };
}

/** The problems a ConfigError lists, one per entry, without its heading when it has one of its own. */
function problemsOf(error: ConfigError): string[] {
  const [heading = '', ...rest] = error.message.split('\n');
  if (heading === 'invalid saldo configuration:') return rest.map((line) => line.replace(/^\s*- /, ''));
  return [[heading, ...rest.map((line) => `    ${line.trim()}`)].join('\n')];
}

/** A rule set file read and checked as `saldo run` checks it; its problems go to `problems`. */
function ruleSetOf(file: string, problems: string[]): RuleSetSummary | undefined {
  try {
    const json = readRuleSetFile(file);
    return { file, json, version: parseRuleSet(json, file).version };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...problemsOf(error));
    return undefined;
  }
}

/**
 * The backtest's configuration from flags and the environment (the product's variables, as
 * `saldo run` reads them; `SALDO_RULES` is the production rule set), validated at once: every
 * problem in one ConfigError.
 */
export function backtestConfigFrom(
  env: NodeJS.ProcessEnv,
  flags: BacktestFlags,
  now: number,
): BacktestConfig {
  const problems: string[] = [];
  const fromMs = flags.from === undefined ? undefined : parseTime(flags.from);
  const toMs = flags.to === undefined ? undefined : parseTime(flags.to);
  if (flags.from === undefined) problems.push(`--from: required, ${TIME_FORMS}`);
  else if (fromMs === undefined) problems.push(`--from: '${flags.from}' is not ${TIME_FORMS}`);
  if (flags.to === undefined) problems.push(`--to: required, ${TIME_FORMS}`);
  else if (toMs === undefined) problems.push(`--to: '${flags.to}' is not ${TIME_FORMS}`);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) {
    problems.push(`--from must be before --to (from ${flags.from}, to ${flags.to})`);
  }
  const warmup = warmupOf(flags.warmup);
  if (warmup === undefined) {
    problems.push(`--warmup: '${flags.warmup}' is neither 'all' nor a duration such as 31d, 36h, 90m`);
  }
  if (flags.outputTopic !== undefined && !TOPIC.test(flags.outputTopic)) {
    problems.push(`--output-topic: '${flags.outputTopic}' may use only letters, digits, ".", "_" and "-"`);
  }

  let engine: ReturnType<typeof validateStreamsConfig> | undefined;
  let product: ReturnType<typeof productConfigFrom> | undefined;
  try {
    engine = validateStreamsConfig(streamsConfigFrom(env, { appId: flags.appId, brokers: flags.brokers }));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...problemsOf(error));
  }
  try {
    product = productConfigFrom(env, {
      registryUrl: flags.registryUrl,
      transactionsTopic: flags.transactionsTopic,
      limitsTopic: flags.limitsTopic,
      alertsTopic: flags.alertsTopic,
      rules: flags.productionRules,
      fraudGrace: flags.fraudGrace,
      holdExpiry: flags.holdExpiry,
      dedupRetention: flags.dedupRetention,
      maxEventTimeAhead: flags.maxEventTimeAhead,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...problemsOf(error));
  }
  let candidate: RuleSetSummary | undefined;
  if (flags.rules === undefined) problems.push('--rules: required, the candidate rule set (JSON)');
  else candidate = ruleSetOf(flags.rules, problems);

  if (
    problems.length > 0 ||
    engine === undefined ||
    product === undefined ||
    candidate === undefined ||
    fromMs === undefined ||
    toMs === undefined ||
    warmup === undefined
  ) {
    throw new ConfigError(`invalid saldo backtest options:\n  - ${problems.join('\n  - ')}`);
  }
  const settings = productSettingsOf(product);
  return {
    applicationId: engine.applicationId,
    brokers: engine.brokers,
    schemaRegistryUrl: product.schemaRegistryUrl,
    topics: product.topics,
    // The fraud half always runs here, whatever SALDO_FRAUD says: it is what is compared.
    settings: { ...settings, fraud: { rules: product.rules, graceMs: product.fraudGraceMs } },
    production: { file: product.rulesFile, json: product.rules, version: product.ruleSet.version },
    candidate,
    window: {
      fromMs,
      toMs,
      warmupFromMs: warmup.ms === undefined ? undefined : fromMs - warmup.ms,
    },
    outputTopic: flags.outputTopic ?? `${product.topics.fraudAlerts}.backtest.${runIdAt(now)}`,
    stateDir: flags.stateDir ?? tmpdir(),
    ...(engine.kafkaSecurity === undefined ? {} : { kafkaSecurity: engine.kafkaSecurity }),
    ...(product.registrySecurity === undefined ? {} : { registrySecurity: product.registrySecurity }),
  };
}

/** Whether an error is the operator's to fix in the command line or the files it names (exit 2). */
export function isUsageError(error: unknown): boolean {
  return error instanceof ConfigError || error instanceof MissingTopicsError;
}

/** `saldo backtest`: the candidate rule set against production's over history; see runBacktest. */
export async function backtestCommand(
  flags: BacktestFlags,
  env: NodeJS.ProcessEnv = process.env,
  io: { clock?: Clock; progress?: NodeJS.WriteStream } = {},
): Promise<BacktestReport> {
  const clock = io.clock ?? systemClock;
  const config = backtestConfigFrom(env, flags, clock.now());
  const output = io.progress;
  // A live line on a terminal only: a log or a pipe gets the report alone.
  if (output?.isTTY !== true) return runBacktest(config, { clock });
  try {
    return await runBacktest(config, {
      clock,
      progress: ({ read, processed }) =>
        output.write(`\rbacktest: ${read} transactions read, ${processed} processed…\u001b[K`),
    });
  } finally {
    output.write('\r\u001b[K');
  }
}
