import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { instanceRestores, restoresFromMetrics } from '../../../../cli/status/instance-restores.ts';

const METRICS = `# HELP saldo_restore_remaining_records Changelog records left to restore, by task
# TYPE saldo_restore_remaining_records gauge
saldo_restore_remaining_records{app="bank",thread="stream-thread-0",task="0_3"} 1200
saldo_restore_remaining_records{app="bank",thread="stream-thread-1",task="0_3"} 34
saldo_restore_remaining_records{app="bank",thread="stream-thread-0",task="0_4"} 0
saldo_restore_records_total{store="balances"} 99
`;

describe('restores under way, from an instance’s metrics', () => {
  it('takes the tasks with records left to restore, summed over threads; finished ones are left out', () => {
    expect(restoresFromMetrics(METRICS)).toEqual({ '0_3': 1234 });
    expect(restoresFromMetrics('')).toEqual({});
  });

  it('asks each endpoint once; one that does not answer is unknown, not "nothing restoring"', async () => {
    const server = createServer((_request, response) => response.end(METRICS));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const up = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const restores = await instanceRestores([up, up, '127.0.0.1:1'], 500);
      expect(restores.size).toBe(2);
      expect(restores.get(up)).toEqual({ '0_3': 1234 });
      expect(restores.get('127.0.0.1:1')).toBeUndefined();
      expect(restores.has('127.0.0.1:1')).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
