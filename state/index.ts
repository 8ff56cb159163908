// The public surface of saldo's state layer. Everything not exported here is private to state/.

export { bytesSerde, int64Serde, jsonSerde, stringSerde } from './serde.ts';
export type { JsonSerdeOptions, Serde } from './serde.ts';

export {
  CheckpointRegressionError,
  ReadOnlyStoreError,
  SerdeError,
  StoreArgumentError,
  StoreBusyError,
  StoreClosedError,
  StoreCorruptionError,
  StoreError,
  StoreIoError,
  StoreOpenError,
  StoreSerdeError,
  TransactionFlushError,
  TransactionStateError,
  UnknownStoreError,
} from './errors.ts';
export type { StoreErrorContext } from './errors.ts';

export { StateManager } from './state-manager.ts';
export { localTaskOffsetSums } from './local-state-summary.ts';
export { storeDiskSizes, type StoreDiskSize } from './store-sizes.ts';
export type { StateManagerOptions } from './state-manager.ts';
export type { StoreSpec } from './store-spec.ts';

export { DEFAULT_CACHE_MAX_BYTES } from './memory-budget.ts';
export type { KeyRange } from './store-engine.ts';
export type {
  ChangelogRecord,
  StoreTransaction,
  TaskTransaction,
  TransactionStatus,
} from './task-transaction.ts';
export type { KeyValueStore, ScanOptions } from './key-value-store.ts';
export type { WindowedEntry, WindowedStore } from './windowed-store.ts';
export type { TtlEntry, TtlKeyValueStore } from './ttl-key-value-store.ts';

export type {
  ChangelogPartition,
  ChangelogRange,
  ChangelogSource,
  ChangelogSourceRecord,
  OffsetRange,
} from './changelog-source.ts';
export type { OutgoingChangelogRecord, StoreChangelog } from './changelog-checkpoints.ts';
export type { RecoveryLogger, RestoreOptions, RestoreSummary } from './recovery.ts';

export { WINDOWED_CHANGELOG_EXTRA_RETENTION_MS, changelogTopicConfigs } from './changelog.ts';
export type { StoreKind } from './changelog.ts';
