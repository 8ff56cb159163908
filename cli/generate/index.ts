/**
 * The traffic generator behind `saldo generate`: realistic, deterministic transactions of many
 * accounts, and the balances they must end with. Everything not exported here is private to
 * cli/generate/.
 */
export { generateCommandAction, runGenerate, type GenerateIo } from './command.ts';
export {
  GENERATE_DEFAULTS,
  MAX_REALISTIC_SPAN_MS,
  defaultEventSpanMs,
  generateConfigFrom,
  generateConfigSchema,
  type GenerateConfig,
  type GenerateFlags,
} from './options.ts';
export { runGenerator, realisticRecords, type GeneratorRunDeps, type GeneratorRunOptions } from './run.ts';
export {
  TrafficGenerator,
  DUPLICATE_RATE,
  MAX_EVENT_TIME_SPAN_MS,
  labelsOf,
  type Delivery,
  type Emission,
  type InjectedIncident,
  type Label,
  type RealisticOptions,
} from './traffic.ts';
export {
  DEFINITION_PARAMETERS,
  DefinitionsDetector,
  INCIDENT_WINDOW_MS,
  RULE_IDS,
  distanceKm,
  spendKindOf,
  type Hit,
  type Incident,
  type RuleId,
} from './definitions.ts';
export {
  LabelsFileError,
  formatLabels,
  isKnownRule,
  parseLabels,
  readLabels,
  writeLabels,
  type ReadLabel,
} from './labels-file.ts';
export {
  DEFAULT_TIER,
  TIER_LIMITS,
  effectiveLimits,
  type LimitUpdate,
  type Limits,
  type Tier,
} from './limits.ts';
export { EventTimeline, activityWeight, isQuincena, localDayKey, localTime } from './timeline.ts';
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
export { DiscardingSink, TransactionSinkError, type LimitSink, type TransactionSink } from './sink.ts';
export {
  connectKafkaLimitSink,
  connectKafkaSink,
  type KafkaLimitSinkOptions,
  type KafkaSinkOptions,
} from './kafka-sink.ts';
export { systemRunClock, type RunClock } from './pacer.ts';
export { formatProgressLine, progressReporter, silentProgress, type ProgressReporter } from './progress.ts';
export {
  formatCount,
  formatSummary,
  fraudSummary,
  type FraudSummary,
  type GenerateSummary,
  type StopReason,
} from './summary.ts';
