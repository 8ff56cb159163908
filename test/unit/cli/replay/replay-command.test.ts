import { describe, expect, it } from 'vitest';
import { ReplayRefusedError, formatReplayReport, replayCommand } from '../../../../cli/commands/replay.ts';
import { ReplayArgumentError } from '../../../../cli/replay/replay-target.ts';

// Unreachable on purpose: these refusals come before the command touches Kafka.
const base = { appId: 'app', brokers: '127.0.0.1:1', topology: 'counting', input: 'in', output: 'out' };

describe('saldo replay, before it reaches Kafka', () => {
  it('refuses at-least-once: its tasks write no state marks', async () => {
    await expect(replayCommand({ ...base, from: '1', guarantee: 'at-least-once' })).rejects.toThrow(
      ReplayRefusedError,
    );
    await expect(replayCommand({ ...base, from: '1', guarantee: 'at-least-once' })).rejects.toThrow(
      /needs exactly-once processing/,
    );
  });

  it('wants to know where to replay from', async () => {
    await expect(replayCommand({ ...base })).rejects.toThrow(ReplayArgumentError);
  });
});

describe('the replay report for people', () => {
  it('names each partition’s mark, offsets, what is reprocessed and the keys put back; refusals with their reason', () => {
    const text = formatReplayReport({
      applicationId: 'saldo',
      from: '2026-12-06T00:00:00.000Z',
      activeMembers: [],
      applied: false,
      partitions: [
        {
          partition: 0,
          task: '0_0',
          status: 'to do',
          target: { transactions: 1448 },
          committed: { transactions: 2263 },
          reprocess: 1139,
          mark: {
            offset: 2,
            wallClockMs: Date.UTC(2026, 11, 7, 2, 22, 12, 617),
            streamTimeMs: Date.UTC(2026, 11, 5, 17, 21, 59, 997),
            inputs: { transactions: 1124 },
            changelogs: {},
          },
          stores: [
            { store: 'balances', changelog: 'c', markOffset: 545, end: 2026, keysChanged: 85, rewrite: 80 },
          ],
        },
        {
          partition: 1,
          task: '0_1',
          status: 'refused',
          reason: 'no state mark at or before offset 0 of transactions',
          target: { transactions: 0 },
          committed: { transactions: 10 },
          reprocess: 0,
          stores: [],
        },
      ],
    });
    expect(text).toBe(
      [
        'replay of saldo from 2026-12-06T00:00:00.000Z (plan: nothing done; --yes applies it)',
        '  partition 0 (task 0_0)  to do: from its mark written at 2026-12-07T02:22:12.617Z, stream time 2026-12-05T17:21:59.997Z',
        '    transactions: committed 2263 → 1124 (the offset asked for: 1448)',
        '    1139 record(s) to reprocess once the instances start',
        '    keys put back to the mark, of those written since: balances 80/85',
        '  partition 1 (task 0_1)  refused: no state mark at or before offset 0 of transactions',
        '',
      ].join('\n'),
    );
  });
});
