import { describe, expect, it } from 'vitest';
import { scaleOutFigures } from '../../../bench/scale-out-figures.ts';

describe('scaleOutFigures', () => {
  it('rates the input over the window and sums the members’ memory and CPU', () => {
    const figures = scaleOutFigures(400_000, 8_000, [
      { recordsProcessed: 190_000, peakRssMb: 220, cpuMs: 4_000 },
      { recordsProcessed: 215_000, peakRssMb: 230, cpuMs: 6_000 },
    ]);
    expect(figures).toEqual({
      instances: 2,
      recordsPerSec: 50_000,
      windowMs: 8_000,
      processed: [190_000, 215_000],
      peakRssMb: 450,
      // 10 s of CPU over 400,000 input records, whatever a rebalance made the members replay.
      cpuMicrosPerRecord: 25,
    });
  });

  it('refuses a window that is not positive', () => {
    const member = { recordsProcessed: 10, peakRssMb: 1, cpuMs: 1 };
    expect(() => scaleOutFigures(10, 0, [member])).toThrow(/positive/);
    expect(() => scaleOutFigures(10, Number.NaN, [member])).toThrow(/positive/);
  });

  it('refuses a run whose members processed fewer records than the input', () => {
    const members = [
      { recordsProcessed: 100, peakRssMb: 1, cpuMs: 1 },
      { recordsProcessed: 99, peakRssMb: 1, cpuMs: 1 },
    ];
    expect(() => scaleOutFigures(200, 1_000, members)).toThrow(/processed 199 records of an input of 200/);
  });
});
