import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { commitFigures, commitTotalsIn, readCommitTotals } from '../../../bench/pipeline/commit-figures.ts';

const EXPOSITION = `# HELP saldo_commit_latency_seconds Time to commit one task transaction
# TYPE saldo_commit_latency_seconds histogram
saldo_commit_latency_seconds_bucket{le="0.01",app="a"} 3
saldo_commit_latency_seconds_bucket{le="+Inf",app="a"} 40
saldo_commit_latency_seconds_sum{app="a"} 1.5
saldo_commit_latency_seconds_count{app="a"} 40
saldo_commits_total{task="0_1"} 40
`;

describe('commit figures', () => {
  it('reads the commit histogram’s count and sum, adding up series with other labels', () => {
    expect(commitTotalsIn(EXPOSITION)).toEqual({ count: 40, sumSeconds: 1.5 });
    const twoThreads = `${EXPOSITION}saldo_commit_latency_seconds_sum{app="b"} 0.5\nsaldo_commit_latency_seconds_count{app="b"} 10\n`;
    expect(commitTotalsIn(twoThreads)).toEqual({ count: 50, sumSeconds: 2 });
    expect(commitTotalsIn('saldo_commits_total 4\n')).toBeUndefined();
  });

  it('gives commits per second and the mean commit time between two readings', () => {
    const figures = commitFigures({ count: 40, sumSeconds: 1.5 }, { count: 240, sumSeconds: 9.5 }, 10);
    expect(figures.commitsPerSecond).toBe(20);
    expect(figures.meanCommitMs).toBeCloseTo(40);
    expect(
      commitFigures({ count: 5, sumSeconds: 1 }, { count: 5, sumSeconds: 1 }, 10).meanCommitMs,
    ).toBeNaN();
  });

  it('reads a running server’s /metrics, and gives undefined where nothing answers', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/metrics') res.end(EXPOSITION);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await readCommitTotals(`http://127.0.0.1:${port}`)).toEqual({ count: 40, sumSeconds: 1.5 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await readCommitTotals(`http://127.0.0.1:${port}`)).toBeUndefined();
  });
});
