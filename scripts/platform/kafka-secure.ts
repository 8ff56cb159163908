// The secure platform's Kafka: clients and the broker itself (inter-broker) on one SASL_SSL
// listener with SCRAM-SHA-512, the controller on an SSL listener, all with the throwaway CA's
// certificate. The SCRAM users are written into the storage at format (KRaft keeps them in its
// metadata): `broker` for the broker, `saldo` for clients.
import { BROKER_USER, CLIENT_USER, readSecret, type PlatformSecrets } from './secrets.ts';

export const SCRAM_MECHANISM = 'SCRAM-SHA-512';

/** Lines that replace the plain listeners of server.properties. */
export function secureListenerProperties(
  config: { port: number; controllerPort: number; host: string },
  secrets: PlatformSecrets,
): string[] {
  const keystorePassword = readSecret(secrets.keystorePasswordFile);
  const brokerPassword = readSecret(secrets.kafkaBrokerPasswordFile);
  return [
    `listeners=SASL_SSL://${config.host}:${config.port},CONTROLLER://${config.host}:${config.controllerPort}`,
    `advertised.listeners=SASL_SSL://${config.host}:${config.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SSL',
    `sasl.enabled.mechanisms=${SCRAM_MECHANISM}`,
    `sasl.mechanism.inter.broker.protocol=${SCRAM_MECHANISM}`,
    `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_USER}" password="${brokerPassword}";`,
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${secrets.keystoreFile}`,
    `ssl.keystore.password=${keystorePassword}`,
    `ssl.key.password=${keystorePassword}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${secrets.caFile}`,
    'ssl.client.auth=none',
    // a wrong password is answered at once: clients fail fast instead of waiting out a delay
    'connection.failed.authentication.delay.ms=0',
  ];
}

/** `--add-scram` arguments of `kafka.tools.StorageTool format`: the broker's and saldo's users. */
export function scramUserArgs(secrets: PlatformSecrets): string[] {
  const users: Array<[string, string]> = [
    [BROKER_USER, readSecret(secrets.kafkaBrokerPasswordFile)],
    [CLIENT_USER, readSecret(secrets.kafkaClientPasswordFile)],
  ];
  return users.flatMap(([name, password]) => [
    '--add-scram',
    `${SCRAM_MECHANISM}=[name=${name},password=${password}]`,
  ]);
}
