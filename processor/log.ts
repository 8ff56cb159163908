import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs (pino). Fields that may carry personal data or secrets are redacted by path, whatever
 * the message: card numbers, names, contact details, passwords, SASL and TLS secrets, tokens and
 * authorization headers never reach the logs in clear (a path matches at the top level and one or
 * two levels down: `{ password }`, `{ redis: { password } }`, `{ kafka: { sasl: { password } } }`).
 */
const SECRET_FIELDS = [
  'password',
  'passwd',
  'secret',
  'token',
  'apiKey',
  'authorization',
  'sasl',
  'privateKey',
  'ssl.key',
  'tls.key',
];
const PERSONAL_FIELDS = ['pan', 'cardNumber', 'card.number', 'holderName', 'customerName', 'email', 'phone'];

export const REDACTED_PATHS = [
  'name',
  ...[...PERSONAL_FIELDS, ...SECRET_FIELDS].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  // The security settings (config.kafkaSecurity.sasl.password and the like) are never logged on
  // purpose; should one be, its password is not, one level deeper too.
  '*.*.*.password',
];

/** `destination`: where the lines go (stdout by default; tests read them). */
export function createLogger(opts: {
  level: string;
  base?: Record<string, string>;
  destination?: DestinationStream;
}): Logger {
  const options = {
    level: opts.level,
    base: opts.base ?? {},
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination);
}

/**
 * A task's logger: every line names the task and its partition (and any `fields` besides), so
 * that one task's story can be followed across restores and instances.
 */
export function taskLogger(logger: Logger, taskId: string, partition: number, fields: object = {}): Logger {
  return logger.child({ task: taskId, partition, ...fields });
}
