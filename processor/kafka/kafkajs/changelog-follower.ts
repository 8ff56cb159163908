import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { ChangelogFollower, FollowedBatch } from '../client.ts';
import type { ConsumedRecord, TopicPartition } from '../../records.ts';
import { tpKey } from '../../records.ts';
import { fixedAssigner } from './assigner.ts';
import { toConsumedRecord } from './group-consumer.ts';

/**
 * Standby tasks' changelog tail: one long-lived read_committed consumer per member over every
 * partition it keeps warm. kafkajs has no manual assignment, so, as the changelog reader does, the
 * consumer is the only member of a group of its own whose assigner hands it exactly those
 * partitions; a new set of partitions restarts it. The group is deleted when it stops.
 */
export class KafkaJsChangelogFollower implements ChangelogFollower {
  readonly #kafka: Kafka;
  readonly #admin: () => Promise<Admin>;
  readonly #groupPrefix: string;
  readonly #onBatch: (batch: FollowedBatch) => Promise<void>;
  #running: { consumer: Consumer; groupId: string } | undefined;

  constructor(
    kafka: Kafka,
    admin: () => Promise<Admin>,
    groupPrefix: string,
    onBatch: (batch: FollowedBatch) => Promise<void>,
  ) {
    this.#kafka = kafka;
    this.#admin = admin;
    this.#groupPrefix = groupPrefix;
    this.#onBatch = onBatch;
  }

  async follow(starts: ReadonlyArray<TopicPartition & { from: number }>): Promise<void> {
    await this.stop();
    if (starts.length === 0) return;
    const groupId = `${this.#groupPrefix}-standby-${randomUUID()}`;
    const assignment: Record<string, number[]> = {};
    for (const s of starts) (assignment[s.topic] ??= []).push(s.partition);
    const startOf = new Map(starts.map((s) => [tpKey(s), s.from]));
    const consumer = this.#kafka.consumer({
      groupId,
      partitionAssigners: [fixedAssigner(assignment)],
      readUncommitted: false,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 2 * 1024 * 1024,
    });
    this.#running = { consumer, groupId };
    await consumer.connect();
    await consumer.subscribe({ topics: Object.keys(assignment), fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch }) => {
        const from = startOf.get(tpKey({ topic: batch.topic, partition: batch.partition })) ?? 0;
        const records: ConsumedRecord[] = [];
        for (const m of batch.messages) {
          // Fetched before the seek took effect.
          if (Number(m.offset) >= from) records.push(toConsumedRecord(batch.topic, batch.partition, m));
        }
        // lastOffset() counts the markers and aborted records fetched with the batch: read too.
        const nextOffset = Number(batch.lastOffset()) + 1;
        if (nextOffset > from) {
          await this.#onBatch({ topic: batch.topic, partition: batch.partition, records, nextOffset });
        }
      },
    });
    for (const s of starts) consumer.seek({ topic: s.topic, partition: s.partition, offset: String(s.from) });
  }

  async stop(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    if (!running) return;
    await running.consumer.disconnect().catch(() => undefined);
    const admin = await this.#admin().catch(() => undefined);
    await admin?.deleteGroups([running.groupId]).catch(() => undefined);
  }
}
