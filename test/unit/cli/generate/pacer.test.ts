import { describe, expect, it } from 'vitest';
import { RatePacer } from '../../../../cli/generate/pacer.ts';
import { FakeClock } from './fakes.ts';

describe('the rate pacer', () => {
  it('never waits when the rate is unlimited', async () => {
    const clock = new FakeClock();
    const pacer = new RatePacer(undefined, clock);
    for (let i = 0; i < 100; i++) await pacer.admit(500);
    expect(clock.sleeps).toEqual([]);
  });

  it('lets a batch go when its last record is due, so the rate is never exceeded', async () => {
    const clock = new FakeClock();
    const pacer = new RatePacer(1_000, clock);
    let admitted = 0;
    for (let batch = 0; batch < 50; batch++) {
      await pacer.admit(100);
      admitted += 100;
      // Record n (from 0) is due at n ms: the batch's last one is admitted - 1.
      expect(clock.now()).toBeGreaterThanOrEqual(admitted - 1);
      expect(clock.now()).toBeLessThan(admitted);
    }
    expect(admitted / (clock.now() / 1_000)).toBeCloseTo(1_000, -1);
  });

  it('catches up at most a second of backlog after a stall, instead of a burst of everything missed', async () => {
    const clock = new FakeClock();
    const pacer = new RatePacer(100, clock);
    await pacer.admit(10);
    clock.time += 60_000; // the sink stalled for a minute
    const before = clock.sleeps.length;
    let withoutWaiting = 0;
    for (let i = 0; i < 1_000 && clock.sleeps.length === before; i++) {
      await pacer.admit(10);
      if (clock.sleeps.length === before) withoutWaiting += 10;
    }
    expect(withoutWaiting).toBeGreaterThanOrEqual(90);
    expect(withoutWaiting).toBeLessThanOrEqual(110);
  });
});
