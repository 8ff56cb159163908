/**
 * Reads the fraud-alerts topic from its beginning to its end offsets as they were when reading
 * began (read_committed: alerts of aborted or open transactions are not seen), Avro through the
 * registry, the way `saldo verify` reads the balances topic.
 */
import { createLogger } from '../../processor/index.ts';
import type { ConsumedRecord } from '../../processor/kafka/client.ts';
import { KafkaJsAdapter } from '../../processor/kafka/kafkajs/index.ts';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';

export interface AlertsReaderOptions {
  brokers: string[];
  registryUrl: string;
  topic: string;
  clientId: string;
  /** Give up after this long (an open transaction holds read_committed readers back). */
  timeoutMs: number;
}

/** The topic could not be read to its end in time, or does not exist. */
export class AlertsReadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AlertsReadError';
  }
}

export async function readAlerts(options: AlertsReaderOptions): Promise<FraudAlert[]> {
  const adapter = new KafkaJsAdapter({
    clientId: options.clientId,
    brokers: options.brokers,
    logger: createLogger({ level: 'error' }),
    groupPrefix: options.clientId,
  });
  const serde = productSerdes(ConfluentAvroRegistry.connect(options.registryUrl)).alert;
  const alerts: FraudAlert[] = [];
  let timer: NodeJS.Timeout | undefined;
  const reading = (async () => {
    const admin = await adapter.admin();
    const partitions = (await admin.partitionCounts([options.topic])).get(options.topic);
    if (partitions === undefined) throw new AlertsReadError(`topic ${options.topic} does not exist`);
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic: options.topic, partition }));
    const ranges = await admin.offsetRange(tps);
    const wanted = tps.map((tp) => {
      const range = ranges.get(`${tp.topic}:${tp.partition}`) ?? { start: 0, end: 0 };
      return { ...tp, from: range.start, to: range.end };
    });
    await adapter.changelogReader().read(
      wanted,
      async (records: ConsumedRecord[]) => {
        for (const record of records) {
          if (record.value === null) continue;
          alerts.push(await serde.deserialize(record.value, { topic: options.topic, part: 'value' }));
        }
      },
      { heartbeat: async () => undefined },
    );
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new AlertsReadError(
            `reading ${options.topic} did not reach its end within ${options.timeoutMs} ms (an open transaction?)`,
          ),
        ),
      options.timeoutMs,
    );
  });
  try {
    await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
    reading.catch(() => undefined);
    await adapter.close();
  }
  return alerts;
}
