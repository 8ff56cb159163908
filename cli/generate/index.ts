/**
 * The traffic generator behind `saldo generate`: realistic, deterministic transactions of many
 * accounts, and the balances they must end with. Everything not exported here is private to
 * cli/generate/.
 */
export { generateCommandAction, runGenerate, type GenerateIo } from './command.ts';
export {
  GENERATE_DEFAULTS,
  generateConfigFrom,
  generateConfigSchema,
  type GenerateConfig,
  type GenerateFlags,
} from './options.ts';
export { runGenerator, type GeneratorRunDeps, type GeneratorRunOptions } from './run.ts';
export {
  TrafficGenerator,
  DUPLICATE_RATE,
  MAX_EVENT_TIME_SPAN_MS,
  type Delivery,
  type Emission,
} from './traffic.ts';
export {
  ExpectedBalanceFold,
  ExpectedFoldError,
  type ExpectedBalances,
  type ExpectedCurrencyBalance,
} from './expected.ts';
export {
  ExpectedBalancesFileError,
  formatExpectedBalances,
  parseExpectedBalances,
  readExpectedBalances,
  writeExpectedBalances,
} from './expected-file.ts';
export { DiscardingSink, TransactionSinkError, type TransactionSink } from './sink.ts';
export { connectKafkaSink, type KafkaSinkOptions } from './kafka-sink.ts';
export { systemRunClock, type RunClock } from './pacer.ts';
export { formatProgressLine, progressReporter, silentProgress, type ProgressReporter } from './progress.ts';
export { formatCount, formatSummary, type GenerateSummary, type StopReason } from './summary.ts';
