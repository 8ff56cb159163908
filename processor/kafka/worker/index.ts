import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type {
  AdminClient,
  BatchControl,
  ChangelogFollower,
  ChangelogReader,
  FollowedBatch,
  CommittedOffset,
  GroupDescription,
  CommitUnit,
  GroupConsumer,
  GroupConsumerOptions,
  KafkaClientAdapter,
  OutgoingRecords,
  ProbeAssignerSettings,
  TopicSpec,
} from '../client.ts';
import type { AssignmentInfo, OperatorInfo } from '../../assignment/assignment-info.ts';
import { PollingChangelogFollower } from '../polling-follower.ts';

/** How often a standby of the worker adapter looks for new changelog records. */
const FOLLOWER_POLL_MS = 500;
import type { ConsumedRecord, TopicPartition, TopicPartitionOffset } from '../../records.ts';
import { siblingModuleUrl } from '../../module-url.ts';
import { RecordBatches } from '../wire/record-batches.ts';
import {
  fromWire,
  toWire,
  type CommittedBatches,
  type FromWorker,
  type GroupSettings,
  type ThreadOptions,
  type ToWorker,
} from './protocol.ts';
import { packOutgoing, unpackConsumed } from './record-codec.ts';
import type { KafkaSecurity } from '../security.ts';

export interface WorkerAdapterOptions {
  clientId: string;
  brokers: string[];
  security?: KafkaSecurity;
  logger: Logger;
  groupPrefix: string;
}

const THREAD_URL = siblingModuleUrl('./thread.ts', import.meta.url);

/**
 * The Kafka boundary with the client in its own thread: kafkajs (the adapter of
 * processor/kafka/kafkajs/) runs in a worker, and this class forwards every call to it. The engine
 * keeps its single thread and its semantics; what moves is the protocol work (record encoding and
 * decoding, compression, checksums, socket I/O), which otherwise shares the engine's core.
 */
export class WorkerKafkaAdapter implements KafkaClientAdapter {
  readonly #worker: Worker;
  readonly #logger: Logger;
  readonly #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextCallId = 0;
  #consumerOptions: GroupConsumerOptions | undefined;
  readonly #staleBatches = new Set<number>();
  readonly #reads = new Map<number, (records: ConsumedRecord[]) => Promise<void>>();
  #nextReadId = 0;
  #exited: Error | undefined;
  // Partition counts the thread's commit units have learnt, for placing records as they are added.
  readonly #partitionCounts = new Map<string, number>();

  constructor(opts: WorkerAdapterOptions) {
    this.#logger = opts.logger;
    const workerData: ThreadOptions = {
      clientId: opts.clientId,
      brokers: opts.brokers,
      security: opts.security,
      groupPrefix: opts.groupPrefix,
      logLevel: opts.logger.level,
      logBindings: opts.logger.bindings(),
    };
    // The client's live heap is small (fetch responses and the records of a commit in flight) but
    // it allocates fast; bounded generations keep its share of the RSS small (docs/operations.md).
    this.#worker = new Worker(THREAD_URL, {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 48 },
    });
    this.#worker.on('message', (message: FromWorker) => this.#onMessage(message));
    this.#worker.on('error', (error) => this.#onExit(error));
    this.#worker.on('exit', (code) =>
      this.#onExit(new Error(`the Kafka client thread exited with code ${code}`)),
    );
  }

  #onExit(error: Error): void {
    if (this.#exited) return;
    this.#exited = error;
    for (const call of this.#calls.values()) call.reject(error);
    this.#calls.clear();
    this.#consumerOptions?.onCrash?.(error, false);
  }

  #post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.#exited) this.#worker.postMessage(message, transfer);
  }

  #call<T>(target: string, method: string, args: unknown[] = [], transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextCallId++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#post({ kind: 'call', id, target, method, args }, transfer);
    });
  }

  #onMessage(message: FromWorker): void {
    switch (message.kind) {
      case 'reply': {
        const call = this.#calls.get(message.id);
        this.#calls.delete(message.id);
        if (!call) return;
        if (message.error) call.reject(fromWire(message.error));
        else call.resolve(message.value);
        return;
      }
      case 'assignment': {
        const opts = this.#consumerOptions;
        if (!opts) return;
        opts.onAssignment(
          message.partitions,
          message.memberId,
          message.info,
          message.generation,
          message.joinMs,
        );
        this.#post({ kind: 'subscription', info: opts.subscription() });
        return;
      }
      case 'crash':
        this.#consumerOptions?.onCrash?.(fromWire(message.error), message.willRestart);
        return;
      case 'stale':
        this.#staleBatches.add(message.batchId);
        return;
      case 'batch':
        void this.#runBatch(message);
        return;
      case 'chunk': {
        const onRecords = this.#reads.get(message.readId);
        if (!onRecords) return;
        onRecords(unpackConsumed(message.records)).then(
          () => this.#post({ kind: 'chunk-done', readId: message.readId }),
          (error: unknown) =>
            this.#post({ kind: 'chunk-done', readId: message.readId, error: toWire(error) }),
        );
        return;
      }
    }
  }

  async #runBatch(message: Extract<FromWorker, { kind: 'batch' }>): Promise<void> {
    const opts = this.#consumerOptions;
    const { batchId } = message;
    const control: BatchControl = {
      heartbeat: () => this.#call<undefined>(`batch:${batchId}`, 'heartbeat'),
      isStale: () => this.#staleBatches.has(batchId),
      resolve: (offset) => this.#post({ kind: 'resolve', batchId, offset }),
    };
    let error: unknown;
    try {
      if (opts) {
        await opts.onBatch(
          {
            topic: message.topic,
            partition: message.partition,
            fetchedOffset: message.fetchedOffset,
            ...(message.lastOffset === undefined ? {} : { lastOffset: message.lastOffset }),
            ...(message.highWatermark === undefined ? {} : { highWatermark: message.highWatermark }),
            records: unpackConsumed(message.records),
          },
          control,
        );
      }
    } catch (e) {
      error = e;
    }
    this.#staleBatches.delete(batchId);
    this.#post(
      error === undefined
        ? { kind: 'batch-done', batchId }
        : { kind: 'batch-done', batchId, error: toWire(error) },
    );
  }

  async admin(): Promise<AdminClient> {
    return {
      partitionCounts: (topics: string[]) =>
        this.#call<Map<string, number | undefined>>('admin', 'partitionCounts', [topics]),
      createTopics: (specs: TopicSpec[]) => this.#call<undefined>('admin', 'createTopics', [specs]),
      committedOffsets: (groupId: string, tps: TopicPartition[]) =>
        this.#call<Map<string, CommittedOffset>>('admin', 'committedOffsets', [groupId, tps]),
      describeGroup: (groupId: string) => this.#call<GroupDescription>('admin', 'describeGroup', [groupId]),
      deleteGroup: (groupId: string) => this.#call<boolean>('admin', 'deleteGroup', [groupId]),
      listTopics: () => this.#call<string[]>('admin', 'listTopics', []),
      deleteTopics: (topics: string[]) => this.#call<string[]>('admin', 'deleteTopics', [topics]),
      offsetRange: (tps: TopicPartition[]) =>
        this.#call<Map<string, { start: number; end: number }>>('admin', 'offsetRange', [tps]),
      topicConfigs: (topics: string[], names: string[]) =>
        this.#call<Map<string, Record<string, string>>>('admin', 'topicConfigs', [topics, names]),
      alterTopicConfigs: (topic: string, configs: Record<string, string>) =>
        this.#call<undefined>('admin', 'alterTopicConfigs', [topic, configs]),
      offsetsForTime: (topic: string, timestamp: number) =>
        this.#call<Map<number, number>>('admin', 'offsetsForTime', [topic, timestamp]),
      close: async () => undefined,
    };
  }

  async openCommitUnit(opts: {
    transactionalId: string;
    exactlyOnce: boolean;
    groupId: string;
  }): Promise<CommitUnit> {
    const { id, transactional } = await this.#call<{ id: number; transactional: boolean }>(
      'adapter',
      'openCommitUnit',
      [opts],
    );
    const target = `unit:${id}`;
    return {
      transactional,
      // Encoded here, on the engine thread, as the task forwards; the batches cross in one buffer.
      outgoing: () => new RecordBatches(this.#partitionCounts),
      commit: async (records: OutgoingRecords, offsets: TopicPartitionOffset[]) => {
        const { batches, buffer, deferred } = RecordBatches.of(records).toTransfer();
        const packed = packOutgoing(deferred);
        const committed = await this.#call<CommittedBatches>(
          target,
          'commit',
          [{ batches, buffer }, packed, offsets],
          [buffer, packed.buffer],
        );
        for (const [topic, count] of committed.partitionCounts) this.#partitionCounts.set(topic, count);
        return committed.produced;
      },
      close: () => this.#call<undefined>(target, 'close'),
    };
  }

  groupConsumer(opts: GroupConsumerOptions): GroupConsumer {
    this.#consumerOptions = opts;
    // What crosses to the thread: every option but the callbacks, which stay on this side.
    const groupSettings: GroupSettings = {
      groupId: opts.groupId,
      topics: opts.topics,
      sessionTimeoutMs: opts.sessionTimeoutMs,
      heartbeatIntervalMs: opts.heartbeatIntervalMs,
      maxConcurrentPartitions: opts.maxConcurrentPartitions,
      fetchMaxBytes: opts.fetchMaxBytes,
      fetchMaxBytesPerPartition: opts.fetchMaxBytesPerPartition,
      changelogTopics: opts.changelogTopics,
      assignorSettings: opts.assignorSettings,
    };
    let subscriptionTimer: NodeJS.Timeout | undefined;
    return {
      start: async () => {
        this.#post({ kind: 'subscription', info: opts.subscription() });
        // Standbys' progress changes between joins: the thread keeps a fresh copy for the next one.
        subscriptionTimer = setInterval(
          () => this.#post({ kind: 'subscription', info: opts.subscription() }),
          1_000,
        ).unref();
        await this.#call('consumer', 'start', [groupSettings]);
      },
      seek: (tp: TopicPartitionOffset) => void this.#call('consumer', 'seek', [tp]).catch(() => undefined),
      requestRejoin: () => {
        // The subscription the thread joins with must be the fresh one.
        this.#post({ kind: 'subscription', info: opts.subscription() });
        this.#post({ kind: 'rejoin' });
      },
      stop: () => {
        clearInterval(subscriptionTimer);
        return this.#call<undefined>('consumer', 'stop');
      },
    };
  }

  changelogReader(): ChangelogReader {
    return {
      read: async (ranges, onRecords, _control, options) => {
        const readId = this.#nextReadId++;
        this.#reads.set(readId, onRecords);
        try {
          await this.#call('reader', 'read', [readId, ranges, options ?? {}]);
        } finally {
          this.#reads.delete(readId);
        }
      },
    };
  }

  /** Standbys here poll through the changelog reader: the worker keeps no consumer open for them. */
  changelogFollower(_name: string, onBatch: (batch: FollowedBatch) => Promise<void>): ChangelogFollower {
    let admin: AdminClient | undefined;
    let follower: PollingChangelogFollower | undefined;
    return {
      follow: async (starts) => {
        admin ??= await this.admin();
        follower ??= new PollingChangelogFollower(admin, this.changelogReader(), FOLLOWER_POLL_MS, onBatch);
        await follower.follow(starts);
      },
      stop: async () => follower?.stop(),
    };
  }

  probeGroup(
    groupId: string,
    topics: readonly string[],
    info: OperatorInfo,
    assigner: ProbeAssignerSettings,
  ): Promise<AssignmentInfo> {
    return this.#call<AssignmentInfo>('adapter', 'probeGroup', [groupId, topics, info, assigner]);
  }

  async close(): Promise<void> {
    if (!this.#exited) {
      await this.#call('adapter', 'close').catch((error: unknown) =>
        this.#logger.warn({ err: error }, 'closing the Kafka client thread failed'),
      );
    }
    this.#exited ??= new Error('the Kafka client thread was closed');
    await this.#worker.terminate();
  }
}
