/** The engine's public surface: declare a topology, run it as an app, or drive it in tests. */
export { StreamsApp, type AppState, type StreamsAppOptions } from './app.ts';
export {
  StreamThreadError,
  StreamThreadsApp,
  type StreamThreadsAppOptions,
  type StreamThreadsSummary,
  type ModuleFactory,
  type PostCommitHookSource,
  type TopologySource,
} from './stream-threads/index.ts';
export { validateStreamsConfig, type StreamsConfig, type StreamsConfigInput } from './config.ts';
export { systemClock, type Clock } from './clock.ts';
export * from './errors.ts';
export { DLQ_HEADERS, type DeadLetterReason } from './dead-letter.ts';
export { deadLetterTopicFor } from './internal-topics.ts';
export type { KafkaClientAdapter, TopicSpec } from './kafka/client.ts';
export {
  KAFKA_SASL_MECHANISMS,
  KAFKA_SECURITY_PROTOCOLS,
  checkKafkaAccess,
  kafkaAccessFailure,
  kafkaJsSecurityOptions,
  usesSasl,
  usesTls,
  type KafkaSaslMechanism,
  type KafkaSecurity,
  type KafkaSecurityProtocol,
} from './kafka/security.ts';
export { closedAtOnce, endpointOf, tlsAccessError, tlsFailureOf } from './access-failures.ts';
export type { ConsumedRecord, Headers, OutgoingRecord } from './records.ts';
export { createLogger, type Logger } from './log.ts';
export { siblingModuleUrl } from './module-url.ts';
export { jsonWithBigints } from './json.ts';
export * from './queries/index.ts';
export { EngineMetrics, type InstanceLabels } from './metrics.ts';
export * from './ops/index.ts';
export { recordSerde, type RecordSerde, type SerdeContext } from './serde.ts';
export type { CommittedOutput } from './record-collector.ts';
export type { ChangelogRecordRead, CommittedEvent, PostCommitHook, TaskStartedEvent } from './post-commit.ts';
export { formatTaskId, parseTaskId, taskIdFor, type TaskId } from './task-id.ts';
export type { TaskState } from './task-state.ts';
export { ManualClock, TopologyTestDriver } from './test-driver.ts';
export { TopologyReplay, type TopologyReplayOptions } from './replay.ts';
export type { TableSourceOptions } from './table-source.ts';
export { Topology, TopologyBuilder } from './topology.ts';
export type {
  Processor,
  ProcessorContext,
  StreamRecord,
  RecordOrigin,
  PunctuationType,
} from './processor-api.ts';
export {
  keyValueStore,
  ttlKeyValueStore,
  windowedStore,
  type KeyValueStoreRef,
  type StoreRef,
  type TtlKeyValueStoreRef,
  type WindowedStoreRef,
} from './store-refs.ts';
