/**
 * Reads the fraud-alerts topic from its beginning to its end offsets as they were when reading
 * began (read_committed: alerts of aborted or open transactions are not seen), Avro through the
 * registry, the way `saldo verify` reads the balances topic.
 */
import { MissingTopicError, readTopicToEnd } from '../read-topic.ts';
import { ConfluentAvroRegistry, productSerdes } from '../../schemas/index.ts';
import type { FraudAlert } from '../../topologies/fraud/alert.ts';
import type { KafkaSecurity } from '../../processor/index.ts';
import type { RegistrySecurity } from '../../schemas/index.ts';

export interface AlertsReaderOptions {
  brokers: string[];
  registryUrl: string;
  kafkaSecurity?: KafkaSecurity | undefined;
  registrySecurity?: RegistrySecurity | undefined;
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
  const serde = productSerdes(
    ConfluentAvroRegistry.connect(options.registryUrl, options.registrySecurity),
  ).alert;
  const alerts: FraudAlert[] = [];
  let timer: NodeJS.Timeout | undefined;
  // Through open transactions: an evaluation right after the input was committed sees every alert.
  const reading = readTopicToEnd({ ...options, throughOpenTransactions: true }, async (value) => {
    alerts.push(await serde.deserialize(value, { topic: options.topic, part: 'value' }));
  }).catch((error: unknown) => {
    throw error instanceof MissingTopicError ? new AlertsReadError(error.message) : error;
  });
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
  }
  return alerts;
}
