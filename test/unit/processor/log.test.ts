import { describe, expect, it } from 'vitest';
import { createLogger, taskLogger } from '../../../processor/log.ts';

/** A logger at `level` whose JSON lines are kept, as an instance's are on stdout. */
function capturedLogger(level = 'info') {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    base: { app: 'saldo', instance: 'saldo-0' },
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const CARD = '4111111111111111';
const PASSWORD = 'hunter2-very-secret';

describe('instance logs', () => {
  it('never show a card number, a name or a password, at any of the usual places', () => {
    const { logger, lines } = capturedLogger();
    logger.info({ cardNumber: CARD, pan: CARD, name: 'Ana Pérez' }, 'top level');
    logger.info({ record: { cardNumber: CARD, card: { number: CARD }, holderName: 'Ana Pérez' } }, 'nested');
    logger.warn({ password: PASSWORD, redis: { password: PASSWORD, url: 'rediss://cache:6380' } }, 'redis');
    logger.error(
      { kafka: { sasl: { mechanism: 'scram-sha-512', username: 'saldo', password: PASSWORD } } },
      'kafka',
    );
    logger.info({ registry: { auth: { password: PASSWORD }, token: PASSWORD } }, 'registry');
    logger.info({ headers: { authorization: `Basic ${PASSWORD}` } }, 'http');
    const text = lines.join('');
    expect(lines).toHaveLength(6);
    expect(text).not.toContain(CARD);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain('Pérez');
    // What is not secret stays.
    expect(text).toContain('rediss://cache:6380');
    expect(text).toContain('[redacted]');
  });

  it('are JSON with the level by name, the app and instance, and the level as configured', () => {
    const { logger, parsed } = capturedLogger('warn');
    logger.info('not shown');
    logger.warn({ topic: 'tx', partition: 3, offset: 42 }, 'record sent to the dead-letter topic');
    expect(parsed()).toEqual([
      expect.objectContaining({
        level: 'warn',
        app: 'saldo',
        instance: 'saldo-0',
        topic: 'tx',
        partition: 3,
        offset: 42,
        msg: 'record sent to the dead-letter topic',
      }),
    ]);
  });

  it('of a task carry its id and partition', () => {
    const { logger, parsed } = capturedLogger();
    taskLogger(logger, '0_7', 7, { standby: true }).info('restore complete');
    expect(parsed()[0]).toMatchObject({ app: 'saldo', task: '0_7', partition: 7, standby: true });
  });
});
