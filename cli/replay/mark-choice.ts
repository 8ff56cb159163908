import type { StateMark } from '../../processor/state-marks.ts';

/** A mark as read from `<app>-state-marks`, with its offset there (the order it was written in). */
export interface StoredMark {
  readonly offset: number;
  readonly mark: StateMark;
}

/**
 * The mark a task is replayed from: among its marks whose offset in every stream input is at or
 * before the target (the input offset at the time asked for), the one furthest on, so that as
 * little as possible is reprocessed; of marks equally far on, the last written. Marks written by a
 * replay's own reprocessing are as good as the original ones: the changelogs below a mark's
 * offsets never change (they are only appended to), so every mark stays the pair it was.
 * Undefined when no mark qualifies.
 */
export function chooseMark(
  marks: readonly StoredMark[],
  target: Readonly<Record<string, number>>,
  streamTopics: readonly string[],
): StoredMark | undefined {
  let best: { stored: StoredMark; progress: number } | undefined;
  for (const stored of marks) {
    const offsets = streamTopics.map((topic) => stored.mark.inputs[topic]);
    // A mark from before the task's first record of an input cannot say where that input starts.
    if (offsets.some((offset) => offset === undefined)) continue;
    if (streamTopics.some((topic, i) => (offsets[i] as number) > (target[topic] ?? -1))) continue;
    const progress = offsets.reduce<number>((sum, offset) => sum + (offset as number), 0);
    if (
      best === undefined ||
      progress > best.progress ||
      (progress === best.progress && stored.offset > best.stored.offset)
    ) {
      best = { stored, progress };
    }
  }
  return best?.stored;
}

/**
 * Whether a changelog still holds the values of a mark: compaction removes a record only once a
 * later record of its key is older than the topic's `min.compaction.lag.ms` (`lagMs`), so the
 * values at the mark are all there as long as the oldest record written after it is younger than
 * that, at `now` (taken once the values have been read). Undefined when they are; else why not.
 */
export function historyProblem(
  changelog: string,
  lagMs: number,
  oldestAfterMarkMs: number | undefined,
  now: number,
): string | undefined {
  if (oldestAfterMarkMs === undefined) return undefined; // nothing written after the mark
  if (lagMs <= 0) {
    return `changelog ${changelog} keeps no history (min.compaction.lag.ms is 0; an instance of this saldo sets it at start): the values at the mark may be compacted away`;
  }
  const age = now - oldestAfterMarkMs;
  if (age < lagMs) return undefined;
  return `changelog ${changelog} keeps ${formatDuration(lagMs)} of history (min.compaction.lag.ms), but the mark is ${formatDuration(age)} old: the values at the mark may be compacted away; replay from a later time`;
}

/** A duration for people: the largest of d, h, min, s, ms that fits, with one decimal. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
    ['s', 1_000],
  ];
  for (const [unit, size] of units) {
    if (ms >= size) return `${Number((ms / size).toFixed(1))} ${unit}`;
  }
  return `${ms} ms`;
}
