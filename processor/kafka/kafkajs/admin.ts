import kafkajs, { type Admin, type Kafka } from 'kafkajs';

// A CommonJS export Node's ES module loader does not see by name.
const { AssignerProtocol, ConfigResourceTypes } = kafkajs;
import type { AdminClient, CommittedOffset, GroupDescription, GroupMember, TopicSpec } from '../client.ts';
import type { TopicPartition } from '../../records.ts';
import { tpKey } from '../../records.ts';

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

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const { groups } = await this.#admin.describeGroups([groupId]);
    const group = groups.find((g) => g.groupId === groupId);
    if (group === undefined) return { groupId, state: 'Dead', members: [] };
    const members = group.members.map((m): GroupMember => {
      // Every member's assignment is in the consumer protocol's format (saldo's assigner too).
      const assignment =
        m.memberAssignment.length === 0 ? null : AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      const metadata =
        m.memberMetadata.length === 0 ? null : AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: assignment?.assignment ?? {},
        subscriptionUserData: metadata?.userData ?? null,
        assignmentUserData: assignment?.userData ?? null,
      };
    });
    return { groupId, state: group.state, members };
  }

  async deleteGroup(groupId: string): Promise<boolean> {
    const { groups } = await this.#admin.describeGroups([groupId]);
    const group = groups.find((g) => g.groupId === groupId);
    if (group === undefined || group.state === 'Dead') return false;
    await this.#admin.deleteGroups([groupId]);
    return true;
  }

  listTopics(): Promise<string[]> {
    return this.#admin.listTopics();
  }

  async deleteTopics(topics: string[]): Promise<string[]> {
    const existing = new Set(await this.#admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await this.#admin.deleteTopics({ topics: present });
    return present;
  }

  async createTopics(specs: TopicSpec[]): Promise<void> {
    if (specs.length === 0) return;
    // kafkajs' own waitForLeaders gives up on a loaded broker; wait on metadata ourselves instead.
    await this.#admin.createTopics({
      waitForLeaders: false,
      topics: specs.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
    await waitForTopicLeaders(
      this.#admin,
      specs.map((s) => s.topic),
    );
  }

  async committedOffsets(groupId: string, tps: TopicPartition[]): Promise<Map<string, CommittedOffset>> {
    const topics = [...new Set(tps.map((tp) => tp.topic))];
    const result = new Map<string, CommittedOffset>();
    if (topics.length === 0) return result;
    const fetched = await this.#admin.fetchOffsets({ groupId, topics });
    for (const t of fetched) {
      for (const p of t.partitions) {
        const offset = Number(p.offset);
        if (offset >= 0) {
          result.set(tpKey({ topic: t.topic, partition: p.partition }), {
            offset,
            metadata: p.metadata ?? null,
          });
        }
      }
    }
    return result;
  }

  async offsetRange(tps: TopicPartition[]): Promise<Map<string, { start: number; end: number }>> {
    const result = new Map<string, { start: number; end: number }>();
    for (const topic of new Set(tps.map((tp) => tp.topic))) {
      const offsets = await this.#admin.fetchTopicOffsets(topic);
      for (const o of offsets)
        result.set(tpKey({ topic, partition: o.partition }), { start: Number(o.low), end: Number(o.high) });
    }
    return result;
  }

  async topicConfigs(topics: string[], names: string[]): Promise<Map<string, Record<string, string>>> {
    const result = new Map<string, Record<string, string>>();
    if (topics.length === 0) return result;
    const described = await this.#admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: names })),
    });
    for (const resource of described.resources) {
      result.set(
        resource.resourceName,
        Object.fromEntries(resource.configEntries.map((entry) => [entry.configName, entry.configValue])),
      );
    }
    return result;
  }

  async alterTopicConfigs(topic: string, configs: Record<string, string>): Promise<void> {
    // kafkajs has only AlterConfigs, which replaces a topic's whole config set: send the topic's
    // own configs (source TOPIC_CONFIG) with the new ones, or the others would fall back to defaults.
    const described = await this.#admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const own = Object.fromEntries(
      (described.resources[0]?.configEntries ?? [])
        .filter((entry) => entry.configSource === TOPIC_CONFIG_SOURCE)
        .map((entry) => [entry.configName, entry.configValue]),
    );
    await this.#admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: Object.entries({ ...own, ...configs }).map(([name, value]) => ({ name, value })),
        },
      ],
    });
  }

  async offsetsForTime(topic: string, timestamp: number): Promise<Map<number, number>> {
    const offsets = await this.#admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
    return new Map(offsets.map((o) => [o.partition, Number(o.offset)]));
  }

  async close(): Promise<void> {
    await this.#admin.disconnect();
  }
}

/** kafkajs' ConfigSource.TOPIC_CONFIG: a config set on the topic itself. */
const TOPIC_CONFIG_SOURCE = 1;

/** Waits until every partition of the topics has a leader, so that the first produce or fetch finds it. */
export async function waitForTopicLeaders(admin: Admin, topics: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.topics.every(
        (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      );
      if (ready && metadata.topics.length === topics.length) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs work with a connected admin client and disconnects it afterwards, whatever happens. */
export async function withAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
