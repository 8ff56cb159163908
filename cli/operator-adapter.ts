import { createLogger, type KafkaSecurity } from '../processor/index.ts';
import { KafkaJsAdapter } from '../processor/kafka/kafkajs/index.ts';

/**
 * The Kafka boundary as the operators' commands use it: client id and group prefix
 * `<app>-<purpose>` (so the broker's logs name the tool), quiet except for errors.
 */
export function operatorAdapter(
  config: { applicationId: string; brokers: string[]; kafkaSecurity?: KafkaSecurity | undefined },
  purpose: string,
): KafkaJsAdapter {
  const clientId = `${config.applicationId}-${purpose}`;
  return new KafkaJsAdapter({
    clientId,
    brokers: config.brokers,
    security: config.kafkaSecurity,
    logger: createLogger({ level: 'error' }),
    groupPrefix: clientId,
  });
}
