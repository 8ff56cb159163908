import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs (pino). Fields that may carry personal data are redacted by path, whatever the message:
 * card numbers and names never reach the logs in clear.
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
