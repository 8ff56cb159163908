/**
 * The Kafka client thread: runs the kafkajs adapter in a worker so that protocol encoding and
 * decoding use the second core while the engine thread processes records. It answers calls from
 * the engine thread and forwards the consumer's batches, assignments and crashes to it.
 */
import type { OperatorInfo, SubscriptionInfo } from '../../assignment/assignment-info.ts';
import { parentPort, workerData } from 'node:worker_threads';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../../log.ts';
import type { AdminClient, BatchControl, CommitUnit, GroupConsumer, KafkaClientAdapter } from '../client.ts';
import type { TopicPartition } from '../../records.ts';
import { KafkaJsAdapter } from '../kafkajs/index.ts';
import { RecordBatches, type TransferredBatches } from '../wire/record-batches.ts';
import {
  toWire,
  type CommittedBatches,
  type FromWorker,
  type GroupSettings,
  type ThreadOptions,
  type ToWorker,
} from './protocol.ts';
import { packConsumed, unpackOutgoing, type PackedRecords } from './record-codec.ts';

const port = parentPort;
if (!port) throw new Error('processor/kafka/worker/thread.ts runs in a worker thread');
const options = workerData as ThreadOptions;
const logger = createLogger({
  level: options.logLevel as LevelWithSilent,
  base: Object.fromEntries(Object.entries(options.logBindings).map(([k, v]) => [k, String(v)])),
});
const adapter = new KafkaJsAdapter({
  clientId: options.clientId,
  brokers: options.brokers,
  logger,
  groupPrefix: options.groupPrefix,
  security: options.security,
});

const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let admin: AdminClient | undefined;
const units = new Map<number, CommitUnit>();
let nextUnitId = 0;
let consumer: GroupConsumer | undefined;
/** The engine thread's latest subscription user data (it posts it at start, after assignments, and every second). */
let subscription: SubscriptionInfo | OperatorInfo | undefined;

interface OpenBatch {
  control: BatchControl;
  done: (error?: Error) => void;
  staleSent: boolean;
}
const batches = new Map<number, OpenBatch>();
let nextBatchId = 0;
const pendingChunks = new Map<number, (error?: Error) => void>();

// kafkajs' staleness is a flag to poll; tell the engine thread as soon as a batch turns stale.
function checkStale(batchId: number, batch: OpenBatch): void {
  if (!batch.staleSent && batch.control.isStale()) {
    batch.staleSent = true;
    post({ kind: 'stale', batchId });
  }
}
setInterval(() => {
  for (const [id, batch] of batches) checkStale(id, batch);
}, 5).unref();

async function call(target: string, method: string, args: unknown[]): Promise<unknown> {
  if (target === 'admin') {
    admin ??= await adapter.admin();
    switch (method) {
      case 'partitionCounts':
        return admin.partitionCounts(args[0] as string[]);
      case 'createTopics':
        return admin.createTopics(args[0] as Parameters<AdminClient['createTopics']>[0]);
      case 'committedOffsets':
        return admin.committedOffsets(args[0] as string, args[1] as TopicPartition[]);
      case 'offsetRange':
        return admin.offsetRange(args[0] as TopicPartition[]);
      case 'describeGroup':
        return admin.describeGroup(args[0] as string);
      case 'deleteGroup':
        return admin.deleteGroup(args[0] as string);
      case 'listTopics':
        return admin.listTopics();
      case 'deleteTopics':
        return admin.deleteTopics(args[0] as string[]);
      case 'topicConfigs':
        return admin.topicConfigs(args[0] as string[], args[1] as string[]);
      case 'alterTopicConfigs':
        return admin.alterTopicConfigs(args[0] as string, args[1] as Record<string, string>);
      case 'offsetsForTime':
        return admin.offsetsForTime(args[0] as string, args[1] as number);
      case 'close':
        return undefined; // one admin for the thread, closed with the adapter
    }
  }
  if (target === 'adapter' && method === 'openCommitUnit') {
    const unit = await adapter.openCommitUnit(args[0] as Parameters<KafkaJsAdapter['openCommitUnit']>[0]);
    const id = nextUnitId++;
    units.set(id, unit);
    return { id, transactional: unit.transactional };
  }
  if (target.startsWith('unit:')) {
    const id = Number(target.slice(5));
    const unit = units.get(id);
    if (!unit) throw new Error(`no commit unit ${id}`);
    if (method === 'commit') {
      const transferred = args[0] as Omit<TransferredBatches, 'deferred'>;
      const batches = RecordBatches.fromTransfer(
        { ...transferred, deferred: unpackOutgoing(args[1] as PackedRecords) },
        adapter.knownPartitionCounts,
      );
      const produced = await unit.commit(batches, args[2] as Parameters<CommitUnit['commit']>[1]);
      const committed: CommittedBatches = { produced, partitionCounts: [...adapter.knownPartitionCounts] };
      return committed;
    }
    if (method === 'close') {
      units.delete(id);
      return unit.close();
    }
  }
  if (target === 'consumer') {
    if (method === 'start') return startConsumer(args[0] as GroupSettings);
    if (method === 'seek') return consumer?.seek(args[0] as Parameters<GroupConsumer['seek']>[0]);
    if (method === 'stop') {
      const running = consumer;
      consumer = undefined;
      return running?.stop();
    }
  }
  if (target.startsWith('batch:') && method === 'heartbeat') {
    const batchId = Number(target.slice(6));
    const batch = batches.get(batchId);
    if (!batch) return undefined;
    await batch.control.heartbeat();
    checkStale(batchId, batch);
    return undefined;
  }
  if (target === 'reader' && method === 'read') return readChangelogs(args[0] as number, args[1], args[2]);
  if (target === 'adapter' && method === 'probeGroup') {
    const [groupId, topics, info, assigner] = args as Parameters<KafkaClientAdapter['probeGroup']>;
    return adapter.probeGroup(groupId, topics, info, assigner);
  }
  if (target === 'adapter' && method === 'close') return closeAll();
  throw new Error(`unknown call ${target}.${method}`);
}

async function startConsumer(settings: GroupSettings): Promise<void> {
  consumer = adapter.groupConsumer({
    ...settings,
    subscription: () => subscription as SubscriptionInfo | OperatorInfo,
    onAssignment: (partitions, memberId, info, generation, joinMs) =>
      post({ kind: 'assignment', partitions, memberId, info, generation, joinMs }),
    onCrash: (error, willRestart) => post({ kind: 'crash', error: toWire(error), willRestart }),
    onBatch: (batch, control) =>
      new Promise<void>((resolve, reject) => {
        const batchId = nextBatchId++;
        batches.set(batchId, {
          control,
          staleSent: false,
          done: (error) => {
            batches.delete(batchId);
            if (error) reject(error);
            else resolve();
          },
        });
        const records = packConsumed(batch.records);
        post(
          {
            kind: 'batch',
            batchId,
            topic: batch.topic,
            partition: batch.partition,
            fetchedOffset: batch.fetchedOffset,
            ...(batch.lastOffset === undefined ? {} : { lastOffset: batch.lastOffset }),
            ...(batch.highWatermark === undefined ? {} : { highWatermark: batch.highWatermark }),
            records,
          },
          [records.buffer],
        );
      }),
  });
  await consumer.start();
}

async function readChangelogs(readId: number, ranges: unknown, options: unknown): Promise<void> {
  const reader = adapter.changelogReader();
  await reader.read(
    ranges as Parameters<typeof reader.read>[0],
    (records) =>
      new Promise<void>((resolve, reject) => {
        pendingChunks.set(readId, (error) => (error ? reject(error) : resolve()));
        const packed = packConsumed(records);
        post({ kind: 'chunk', readId, records: packed }, [packed.buffer]);
      }),
    // The engine thread's own heartbeat duty (its group membership) is kept by this thread's consumer.
    { heartbeat: async () => undefined },
    options as Parameters<typeof reader.read>[3],
  );
}

async function closeAll(): Promise<void> {
  for (const [id, unit] of units) {
    units.delete(id);
    await unit.close().catch(() => undefined);
  }
  await consumer?.stop().catch(() => undefined);
  consumer = undefined;
  await adapter.close();
}

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'call':
      call(message.target, message.method, message.args).then(
        (value) => post({ kind: 'reply', id: message.id, value }),
        (error: unknown) => post({ kind: 'reply', id: message.id, error: toWire(error) }),
      );
      return;
    case 'batch-done':
      batches.get(message.batchId)?.done(message.error ? new Error(message.error.message) : undefined);
      return;
    case 'resolve': {
      const batch = batches.get(message.batchId);
      if (!batch) return;
      batch.control.resolve(message.offset);
      checkStale(message.batchId, batch);
      return;
    }
    case 'subscription':
      subscription = message.info;
      return;
    case 'rejoin':
      consumer?.requestRejoin();
      return;
    case 'chunk-done': {
      const done = pendingChunks.get(message.readId);
      pendingChunks.delete(message.readId);
      done?.(message.error ? new Error(message.error.message) : undefined);
      return;
    }
  }
});
