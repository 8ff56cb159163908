import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs (pino). Fields that may carry personal data or secrets are redacted by path, whatever
 * the message: card numbers, names and passwords never reach the logs in clear.
 */
export const REDACTED_PATHS = [
  'pan',
  'cardNumber',
  '*.pan',
  '*.cardNumber',
  '*.card.number',
  'name',
  '*.holderName',
  '*.customerName',
  '*.email',
  '*.phone',
  // Secrets: the security settings (config.kafkaSecurity.sasl.password and the like) are never
  // logged on purpose; should one be, its password is not.
  'password',
  '*.password',
  '*.*.password',
  '*.*.*.password',
];

export function createLogger(opts: { level: string; base?: Record<string, string> }): Logger {
  return pino({
    level: opts.level,
    base: opts.base ?? {},
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
