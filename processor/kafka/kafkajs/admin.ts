import type { Admin } from 'kafkajs';
import type { AdminClient, TopicPartition, TopicSpec } from '../client.ts';
import { tpKey } from '../client.ts';

export class KafkaJsAdminClient implements AdminClient {
  readonly #admin: Admin;

  constructor(admin: Admin) {
    this.#admin = admin;
  }

  get raw(): Admin {
    return this.#admin;
  }

  async partitionCounts(topics: string[]): Promise<Map<string, number | undefined>> {
    const existing = new Set(await this.#admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    const counts = new Map<string, number | undefined>(topics.map((t) => [t, undefined]));
    if (present.length === 0) return counts;
    const metadata = await this.#admin.fetchTopicMetadata({ topics: present });
    for (const t of metadata.topics) counts.set(t.name, t.partitions.length);
    return counts;
  }

  async createTopics(specs: TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    await this.#admin.createTopics({
      waitForLeaders: true,
      topics: specs.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  }

  async committedOffsets(groupId: string, tps: TopicPartition[]): Promise<Map<string, number>> {
    const topics = [...new Set(tps.map((tp) => tp.topic))];
    const result = new Map<string, number>();
    if (topics.length === 0) return result;
    const fetched = await this.#admin.fetchOffsets({ groupId, topics });
    for (const t of fetched) {
      for (const p of t.partitions) {
        const offset = Number(p.offset);
        if (offset >= 0) result.set(tpKey({ topic: t.topic, partition: p.partition }), offset);
      }
    }
    return result;
  }

  async offsetRange(tps: TopicPartition[]): Promise<Map<string, { start: number; end: number }>> {
    const result = new Map<string, { start: number; end: number }>();
    for (const topic of new Set(tps.map((tp) => tp.topic))) {
      const offsets = await this.#admin.fetchTopicOffsets(topic);
      for (const o of offsets) result.set(tpKey({ topic, partition: o.partition }), { start: Number(o.low), end: Number(o.high) });
    }
    return result;
  }

  async close(): Promise<void> {
    await this.#admin.disconnect();
  }
}
