// When each transaction's snapshot becomes visible: to a read_committed reader of the balances
// topic, and in Redis (keyspace notifications, then the hash's lastTransactionId); and when each
// alert becomes visible to a read_committed reader of the alerts topic.
import { Redis } from 'ioredis';
import type { Consumer, Kafka } from 'kafkajs';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';

const now = () => performance.timeOrigin + performance.now();

/**
 * A read_committed reader of what comes next on a topic; `onValue` gets each value whose key
 * `keyWanted` accepts, with the time its batch arrived. Resolves once the reader has joined its group.
 */
async function watchTopic(
  kafka: Kafka,
  topic: string,
  groupId: string,
  keyWanted: (key: Buffer | null) => boolean,
  onValue: (value: Buffer, at: number) => Promise<void>,
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 10, readUncommitted: false });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const at = now();
      for (const message of batch.messages)
        if (message.value !== null && keyWanted(message.key)) await onValue(message.value, at);
    },
  });
  await joined;
  return consumer;
}

export interface VisibilityWatch {
  /** transactionId → when its snapshot was seen on the topic (epoch ms). */
  readonly onTopic: Map<string, number>;
  /** transactionId → when Redis held its snapshot (epoch ms). */
  readonly inRedis: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * The accounts whose snapshots are watched: those whose id ends in `suffix` (accountIdOf's ids end
 * in a uniform digit, so "0" is one account in ten, spread over every partition). Watching every
 * snapshot costs the bench's process half a core and Redis a notification and a read per write at
 * 5,000/s, on the two cores saldo shares with them: a sample measures saldo, not its observer.
 */
export interface AccountSample {
  readonly suffix: string;
}

export const isSampled = (accountId: string, sample: AccountSample) => accountId.endsWith(sample.suffix);

/** Starts both watchers; resolves once the topic reader has joined (it reads only what comes next). */
export async function watchVisibility(opts: {
  kafka: Kafka;
  registryUrl: string;
  balancesTopic: string;
  groupId: string;
  redisUrl: string;
  redisKeyPrefix: string;
  sample: AccountSample;
}): Promise<VisibilityWatch> {
  const onTopic = new Map<string, number>();
  const inRedis = new Map<string, number>();
  const serde = productSerdes(ConfluentAvroRegistry.connect(opts.registryUrl)).snapshot;

  const sampledKey = (key: Buffer | null) => key !== null && isSampled(key.toString(), opts.sample);
  const consumer = await watchTopic(
    opts.kafka,
    opts.balancesTopic,
    opts.groupId,
    sampledKey,
    async (value, at) => {
      const snapshot = await serde.deserialize(value, { topic: opts.balancesTopic, part: 'value' });
      if (snapshot.lastTransactionId !== null && !onTopic.has(snapshot.lastTransactionId)) {
        onTopic.set(snapshot.lastTransactionId, at);
      }
    },
  );

  const subscriber = new Redis(opts.redisUrl);
  const reader = new Redis(opts.redisUrl);
  await reader.config('SET', 'notify-keyspace-events', 'Kh');
  const pattern = `__keyspace@0__:${opts.redisKeyPrefix}balance:*${opts.sample.suffix}`;
  subscriber.on('pmessage', (_pattern, channel: string, event: string) => {
    if (event !== 'hset') return;
    const key = channel.slice('__keyspace@0__:'.length);
    void reader.hget(key, 'lastTransactionId').then((id) => {
      if (id !== null && !inRedis.has(id)) inRedis.set(id, now());
    });
  });
  await subscriber.psubscribe(pattern);

  return {
    onTopic,
    inRedis,
    async stop() {
      await subscriber.punsubscribe(pattern);
      await reader.config('SET', 'notify-keyspace-events', '');
      subscriber.disconnect();
      reader.disconnect();
      await consumer.disconnect();
    },
  };
}

export interface AlertWatch {
  /** transactionId of the raising transaction → when its alert was seen (epoch ms), first alert only. */
  readonly seen: Map<string, number>;
  stop(): Promise<void>;
}

/** Reads the alerts topic read_committed from its end; resolves once the reader has joined. */
export async function watchAlerts(opts: {
  kafka: Kafka;
  registryUrl: string;
  alertsTopic: string;
  groupId: string;
}): Promise<AlertWatch> {
  const seen = new Map<string, number>();
  const serde = productSerdes(ConfluentAvroRegistry.connect(opts.registryUrl)).alert;
  const consumer = await watchTopic(
    opts.kafka,
    opts.alertsTopic,
    opts.groupId,
    () => true,
    async (value, at) => {
      const alert = await serde.deserialize(value, { topic: opts.alertsTopic, part: 'value' });
      if (!seen.has(alert.transactionId)) seen.set(alert.transactionId, at);
    },
  );
  return {
    seen,
    async stop() {
      await consumer.disconnect();
    },
  };
}
