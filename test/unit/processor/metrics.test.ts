import { describe, expect, it } from 'vitest';
import { EngineMetrics } from '../../../processor/metrics.ts';

describe('EngineMetrics.recordCommitLatencies', () => {
  it('keeps every commit latency in ms from then on, and the histogram still counts them', async () => {
    const metrics = new EngineMetrics({ app: 'a' });
    metrics.commitLatency.observe(0.5); // before: not kept
    const kept = metrics.recordCommitLatencies();
    metrics.commitLatency.observe(0.25);
    metrics.commitLatency.observe(0.002);
    expect(kept).toEqual([250, 2]);
    const { values } = await metrics.commitLatency.get();
    const count = values.find((v) => v.metricName === 'saldo_commit_latency_seconds_count');
    expect(count?.value).toBe(3);
  });
});
