import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamsConfigInput } from '../processor/index.ts';
import { kafkaSecurityFromEnv } from './security-env.ts';

/** Command-line flags that override the environment. */
export interface RunFlags {
  appId?: string;
  brokers?: string;
  stateDir?: string;
  guarantee?: string;
  commitIntervalMs?: string;
  instanceId?: string;
  logLevel?: string;
  streamThreads?: string;
  createTopics?: boolean;
  /** "host:port" this instance answers queries on (`saldo run`). */
  applicationServer?: string;
}

const TRUE = new Set(['1', 'true', 'yes']);

// Range checks, and the message for text that is not a number (NaN), are the config schema's.
function numberOrUndefined(text: string | undefined): number | undefined {
  return text === undefined || text === '' ? undefined : Number(text);
}

/**
 * The one place where saldo reads its environment: SALDO_* variables and KAFKA_BROKERS, overridden
 * by flags. The result is validated by validateStreamsConfig at start-up; Kafka's security
 * settings (SALDO_KAFKA_SECURITY_PROTOCOL, ...) are checked, and their files read, here.
 */
export function streamsConfigFrom(env: NodeJS.ProcessEnv, flags: RunFlags): StreamsConfigInput {
  const brokers = (flags.brokers ?? env.KAFKA_BROKERS ?? '127.0.0.1:19092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  const input: StreamsConfigInput = {
    applicationId: flags.appId ?? env.SALDO_APPLICATION_ID ?? 'saldo',
    brokers,
    stateDir: flags.stateDir ?? env.SALDO_STATE_DIR ?? join(tmpdir(), 'saldo-state'),
  };
  const guarantee = flags.guarantee ?? env.SALDO_PROCESSING_GUARANTEE;
  if (guarantee !== undefined)
    input.processingGuarantee = guarantee as StreamsConfigInput['processingGuarantee'];
  const commit = numberOrUndefined(flags.commitIntervalMs ?? env.SALDO_COMMIT_INTERVAL_MS);
  if (commit !== undefined) input.commitIntervalMs = commit;
  const session = numberOrUndefined(env.SALDO_SESSION_TIMEOUT_MS);
  if (session !== undefined) input.sessionTimeoutMs = session;
  const heartbeat = numberOrUndefined(env.SALDO_HEARTBEAT_INTERVAL_MS);
  if (heartbeat !== undefined) input.heartbeatIntervalMs = heartbeat;
  const instanceId = flags.instanceId ?? env.SALDO_INSTANCE_ID;
  if (instanceId !== undefined) input.instanceId = instanceId;
  const logLevel = flags.logLevel ?? env.SALDO_LOG_LEVEL;
  if (logLevel !== undefined) input.logLevel = logLevel as StreamsConfigInput['logLevel'];
  const cacheBytes = numberOrUndefined(env.SALDO_STATE_CACHE_MAX_BYTES_PER_TASK);
  if (cacheBytes !== undefined) input.stateCacheMaxBytesPerTask = cacheBytes;
  const fetchMax = numberOrUndefined(env.SALDO_FETCH_MAX_BYTES);
  if (fetchMax !== undefined) input.fetchMaxBytes = fetchMax;
  const fetchMaxPerPartition = numberOrUndefined(env.SALDO_FETCH_MAX_BYTES_PER_PARTITION);
  if (fetchMaxPerPartition !== undefined) input.fetchMaxBytesPerPartition = fetchMaxPerPartition;
  const streamThreads = numberOrUndefined(flags.streamThreads ?? env.SALDO_STREAM_THREADS);
  if (streamThreads !== undefined) input.streamThreads = streamThreads;
  const idle = numberOrUndefined(env.SALDO_MAX_TASK_IDLE_MS);
  if (idle !== undefined) input.maxTaskIdleMs = idle;
  const attempts = numberOrUndefined(env.SALDO_UNRECOVERABLE_COMMIT_ATTEMPTS);
  if (attempts !== undefined) input.unrecoverableCommitAttempts = attempts;
  const createTopics = flags.createTopics ?? TRUE.has((env.SALDO_CREATE_TOPICS ?? '').toLowerCase());
  if (createTopics) input.createOutputTopics = true;
  const standbys = numberOrUndefined(env.SALDO_NUM_STANDBY_REPLICAS);
  if (standbys !== undefined) input.numStandbyReplicas = standbys;
  const recoveryLag = numberOrUndefined(env.SALDO_ACCEPTABLE_RECOVERY_LAG);
  if (recoveryLag !== undefined) input.acceptableRecoveryLag = recoveryLag;
  const warmups = numberOrUndefined(env.SALDO_MAX_WARMUP_REPLICAS);
  if (warmups !== undefined) input.maxWarmupReplicas = warmups;
  const probing = numberOrUndefined(env.SALDO_PROBING_REBALANCE_INTERVAL_MS);
  if (probing !== undefined) input.probingRebalanceIntervalMs = probing;
  const applicationServer = flags.applicationServer ?? env.SALDO_APPLICATION_SERVER;
  if (applicationServer !== undefined && applicationServer !== '')
    input.applicationServer = applicationServer;
  const markInterval = numberOrUndefined(env.SALDO_STATE_MARK_INTERVAL_MS);
  if (markInterval !== undefined) input.stateMarkIntervalMs = markInterval;
  const horizon = numberOrUndefined(env.SALDO_REPLAY_HORIZON_MS);
  if (horizon !== undefined) input.replayHorizonMs = horizon;
  const kafkaSecurity = kafkaSecurityFromEnv(env);
  if (kafkaSecurity !== undefined) input.kafkaSecurity = kafkaSecurity;
  const clientThread = env.SALDO_KAFKA_CLIENT_THREAD;
  if (clientThread !== undefined)
    input.kafkaClientThread = clientThread as StreamsConfigInput['kafkaClientThread'];
  return input;
}
