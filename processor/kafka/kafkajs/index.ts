import type { AssignmentInfo, OperatorInfo } from '../../assignment/assignment-info.ts';
import { KafkaJsChangelogFollower } from './changelog-follower.ts';
import { probeGroup } from './group-probe.ts';
import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Logger } from 'pino';
import type {
  AdminClient,
  ChangelogFollower,
  ChangelogReader,
  FollowedBatch,
  CommitUnit,
  GroupConsumer,
  GroupConsumerOptions,
  KafkaClientAdapter,
  ProbeAssignerSettings,
} from '../client.ts';
import { KafkaJsAdminClient } from './admin.ts';
import { KafkaJsChangelogReader } from './changelog-reader.ts';
import { AtLeastOnceCommitUnit, TransactionalCommitUnit } from './commit-units.ts';
import { KafkaJsGroupConsumer } from './group-consumer.ts';
import { kafkaJsLogVerdict } from './log-levels.ts';
import { PartitionCounts } from './partition-counts.ts';
import { javaCompatiblePartitioner } from './partitioner.ts';
import {
  checkKafkaAccess,
  kafkaAccessFailure,
  kafkaJsSecurityOptions,
  type KafkaSecurity,
} from '../security.ts';

export interface KafkaJsAdapterOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  /** Prefix of the throwaway groups the changelog reader uses. */
  groupPrefix: string;
  /** TLS and SASL of every client; PLAINTEXT when absent. */
  security?: KafkaSecurity;
}

/** The kafkajs implementation of the engine's Kafka boundary. */
export class KafkaJsAdapter implements KafkaClientAdapter {
  readonly #kafka: Kafka;
  readonly #opts: KafkaJsAdapterOptions;
  #admin: Admin | undefined;
  #accessChecked: Promise<void> | undefined;
  #groupConsumer: KafkaJsGroupConsumer | undefined;
  // Of the topics the commit units produce to; shared, so that each is fetched once.
  readonly #partitionCounts = new PartitionCounts(async (topics) =>
    (await this.admin()).partitionCounts(topics),
  );

  constructor(opts: KafkaJsAdapterOptions) {
    this.#opts = opts;
    const log = opts.logger.child({ component: 'kafkajs' });
    this.#kafka = new Kafka({
      clientId: opts.clientId,
      brokers: opts.brokers,
      logLevel: logLevel.WARN,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 10_000 },
      ...kafkaJsSecurityOptions(opts.security),
      logCreator:
        () =>
        ({ level, log: entry }: LogEntry) => {
          const { message, ...rest } = entry;
          const verdict = kafkaJsLogVerdict(level, message, (rest as { error?: unknown }).error);
          if (verdict !== null) log[verdict](rest, message);
        },
    });
  }

  /** Partition counts the commit units have learnt (see PartitionCounts). */
  get knownPartitionCounts(): ReadonlyMap<string, number> {
    return this.#partitionCounts.known;
  }

  get kafka(): Kafka {
    return this.#kafka;
  }

  // The admin is every user's first connection (the app's start, the operators' commands): wrong
  // credentials or a TLS mismatch stop it here, once, without kafkajs' retries (security.ts).
  async #rawAdmin(): Promise<Admin> {
    if (!this.#admin) {
      const { clientId, brokers, security } = this.#opts;
      this.#accessChecked ??= checkKafkaAccess({ clientId, brokers, security });
      await this.#accessChecked;
      const admin = this.#kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        throw kafkaAccessFailure(error, security, brokers) ?? error;
      }
      this.#admin = admin;
    }
    return this.#admin;
  }

  async admin(): Promise<AdminClient> {
    return new KafkaJsAdminClient(await this.#rawAdmin());
  }

  async openCommitUnit(opts: {
    transactionalId: string;
    exactlyOnce: boolean;
    groupId: string;
  }): Promise<CommitUnit> {
    if (opts.exactlyOnce)
      return TransactionalCommitUnit.open(
        this.#kafka,
        opts.transactionalId,
        opts.groupId,
        this.#partitionCounts,
      );
    // One idempotent producer per task: an idempotent kafkajs producer has one request in flight,
    // so a shared one would serialize every task's sends.
    const producer = this.#kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: javaCompatiblePartitioner,
    });
    await producer.connect();
    return new AtLeastOnceCommitUnit(producer, () => this.#groupConsumer?.consumer, this.#partitionCounts);
  }

  groupConsumer(opts: GroupConsumerOptions): GroupConsumer {
    this.#groupConsumer = new KafkaJsGroupConsumer(this.#kafka, opts);
    return this.#groupConsumer;
  }

  changelogReader(): ChangelogReader {
    return new KafkaJsChangelogReader(this.#kafka, () => this.#rawAdmin(), this.#opts.groupPrefix);
  }

  changelogFollower(name: string, onBatch: (batch: FollowedBatch) => Promise<void>): ChangelogFollower {
    return new KafkaJsChangelogFollower(
      this.#kafka,
      () => this.#rawAdmin(),
      `${this.#opts.groupPrefix}-${name}`,
      onBatch,
    );
  }

  probeGroup(
    groupId: string,
    topics: readonly string[],
    info: OperatorInfo,
    assigner: ProbeAssignerSettings,
  ): Promise<AssignmentInfo> {
    return probeGroup(this.#kafka, groupId, topics, info, assigner);
  }

  async close(): Promise<void> {
    await this.#admin?.disconnect().catch(() => undefined);
    this.#admin = undefined;
  }
}
