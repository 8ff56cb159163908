/** The figures of one run of the scale-out benchmark (bench/scale-out.ts). */

/** What one engine process reported when it stopped. */
export interface MemberResult {
  recordsProcessed: number;
  peakRssMb: number;
  cpuMs: number;
}

export interface ScaleOutFigures {
  instances: number;
  recordsPerSec: number;
  windowMs: number;
  /** Records processed by each member (more than the input in total when a rebalance replays some). */
  processed: number[];
  peakRssMb: number;
  cpuMicrosPerRecord: number;
}

/** Throughput and cost of one run, from its window and what each member reported. */
export function scaleOutFigures(
  inputRecords: number,
  windowMs: number,
  members: MemberResult[],
): ScaleOutFigures {
  if (!(windowMs > 0)) throw new Error(`the measured window must be positive, got ${windowMs} ms`);
  // Every input offset was committed, so fewer processed records means some were skipped.
  const processed = members.reduce((sum, m) => sum + m.recordsProcessed, 0);
  if (processed < inputRecords)
    throw new Error(`the members processed ${processed} records of an input of ${inputRecords}`);
  const cpuMs = members.reduce((sum, m) => sum + m.cpuMs, 0);
  return {
    instances: members.length,
    recordsPerSec: inputRecords / (windowMs / 1000),
    windowMs,
    processed: members.map((m) => m.recordsProcessed),
    peakRssMb: members.reduce((sum, m) => sum + m.peakRssMb, 0),
    cpuMicrosPerRecord: (cpuMs * 1000) / inputRecords,
  };
}
