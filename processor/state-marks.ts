import type { TopicPartitionOffset } from './records.ts';

/**
 * A state mark: a point in a task's history where its state and its inputs are known to agree, so
 * that `saldo replay` can rebuild the state at that point from the changelogs and reprocess the
 * input from there. It is the pair of one completed commit:
 *
 * - `inputs`: the next offset of each input partition of the task that the commit committed;
 * - `changelogs`: for each store changelog of the task, the offset after the last record the task's
 *   state covered then (what its local checkpoint said): the store's state at the mark is the
 *   changelog's committed records below it, the last value per key.
 *
 * A task writes the mark of commit k-1 inside the transaction of commit k (both halves are known
 * by then), so a mark is visible to read_committed readers exactly when that transaction is. The
 * changelog records of commit k and later lie at or after the mark's offsets: the changelogs keep
 * the mark's state for as long as their compaction lag keeps those later records uncompacted.
 */
export interface StateMark {
  /** The task id, `<subtopology>_<partition>`. */
  readonly task: string;
  /** Input topic → next offset (the task's partition). */
  readonly inputs: Readonly<Record<string, number>>;
  /** Changelog topic → the offset its state covered, exclusive (the task's partition). */
  readonly changelogs: Readonly<Record<string, number>>;
  /** The task's stream time at the mark (epoch ms; -1 before any record). */
  readonly streamTimeMs: number;
  /** When the commit the mark describes completed (the task's wall clock, epoch ms). */
  readonly wallClockMs: number;
}

const VERSION = 1;

/** A mark as its record's value: JSON, versioned, small (a few hundred bytes). */
export function encodeStateMark(mark: StateMark): Buffer {
  return Buffer.from(JSON.stringify({ v: VERSION, ...mark }));
}

/**
 * A mark read back; undefined when the bytes are not a mark of this version (written by a later
 * saldo, or not saldo's), which a reader skips.
 */
export function decodeStateMark(bytes: Buffer | null): StateMark | undefined {
  if (bytes === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const m = parsed as Record<string, unknown>;
  if (m.v !== VERSION || typeof m.task !== 'string') return undefined;
  if (!isOffsets(m.inputs) || !isOffsets(m.changelogs)) return undefined;
  if (!Number.isSafeInteger(m.streamTimeMs) || !Number.isSafeInteger(m.wallClockMs)) return undefined;
  return {
    task: m.task,
    inputs: m.inputs,
    changelogs: m.changelogs,
    streamTimeMs: m.streamTimeMs as number,
    wallClockMs: m.wallClockMs as number,
  };
}

function isOffsets(value: unknown): value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every((offset) => Number.isSafeInteger(offset) && (offset as number) >= 0);
}

/** Where a store's changelog stood for the task's committed state. */
export interface ChangelogPosition {
  readonly topic: string;
  /** The offset after the last record the committed state covers (0: none). */
  readonly next: bigint;
}

/**
 * When a task writes its marks, and what they hold: at most one per `intervalMs`, in the commit
 * after the one it describes. Only a commit completed by this task object can be described (its
 * offsets are known here), so a task's first mark comes after its second commit.
 */
export class StateMarker {
  readonly #taskId: string;
  readonly #intervalMs: number;
  /** What the last completed commit committed, and when. */
  #lastCommit: { offsets: TopicPartitionOffset[]; streamTimeMs: number; atMs: number } | undefined;
  /** When the last mark was committed; starts at the first commit, so marks wait one interval. */
  #lastMarkAt: number | undefined;

  /** `intervalMs` 0: no marks. */
  constructor(taskId: string, intervalMs: number) {
    this.#taskId = taskId;
    this.#intervalMs = intervalMs;
  }

  /** Whether the commit about to start at `now` should carry a mark. */
  due(now: number): boolean {
    if (this.#intervalMs <= 0 || this.#lastCommit === undefined || this.#lastMarkAt === undefined)
      return false;
    return now - this.#lastMarkAt >= this.#intervalMs;
  }

  /**
   * The mark of the last completed commit, given where the changelogs stood after it (the local
   * checkpoints: the state manager's view before the next commit's writes reach them).
   */
  mark(changelogs: readonly ChangelogPosition[]): StateMark {
    const last = this.#lastCommit;
    if (last === undefined) throw new Error(`task ${this.#taskId} has no completed commit to mark`);
    return {
      task: this.#taskId,
      inputs: Object.fromEntries(last.offsets.map((o) => [o.topic, o.offset])),
      changelogs: Object.fromEntries(changelogs.map((c) => [c.topic, Number(c.next)])),
      streamTimeMs: last.streamTimeMs,
      wallClockMs: last.atMs,
    };
  }

  /**
   * A commit completed at `now` with these offsets and stream time; `marked`: it carried a mark.
   * A failed commit is not reported: the task starts afresh after one.
   */
  committed(offsets: TopicPartitionOffset[], streamTimeMs: number, now: number, marked: boolean): void {
    this.#lastCommit = { offsets, streamTimeMs, atMs: now };
    if (marked || this.#lastMarkAt === undefined) this.#lastMarkAt = now;
  }
}
