/**
 * Progress of a run, on stderr: on a terminal one live line rewritten in place, elsewhere (a log,
 * a CI job) a plain line every few seconds.
 *
 *   [#####-----] 52% 26,000/50,000 tx · 4,980 tx/s · ETA 5 s
 */
import { formatCount } from './summary.ts';

export interface ProgressSnapshot {
  /** Records the sink has taken. */
  sent: number;
  /** The run's targets: a count of records, a duration, or both (it stops at the first). */
  count: number | undefined;
  durationMs: number | undefined;
  elapsedMs: number;
}

export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  /** The last word: the line as it ends. */
  finish(snapshot: ProgressSnapshot): void;
}

/** Where progress goes: process.stderr, or a test's recorder. */
export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

/** A live line is redrawn at most this often; a plain line is written this often. */
const LIVE_INTERVAL_MS = 100;
const PLAIN_INTERVAL_MS = 5_000;
const BAR_WIDTH = 10;
/** Erases what is left of a longer line drawn before. */
const CLEAR_TO_END = '\x1b[K';

/** Done so far, in [0, 1]: of the count, of the duration, or of whichever ends first. */
function fractionDone(snapshot: ProgressSnapshot): number {
  let done = 0;
  if (snapshot.count !== undefined) done = Math.max(done, snapshot.sent / snapshot.count);
  if (snapshot.durationMs !== undefined) done = Math.max(done, snapshot.elapsedMs / snapshot.durationMs);
  return Math.min(1, done);
}

function remainingMs(snapshot: ProgressSnapshot, rate: number): number | undefined {
  let remaining: number | undefined;
  if (snapshot.count !== undefined && rate > 0) remaining = ((snapshot.count - snapshot.sent) / rate) * 1_000;
  if (snapshot.durationMs !== undefined) {
    const left = snapshot.durationMs - snapshot.elapsedMs;
    remaining = remaining === undefined ? left : Math.min(remaining, left);
  }
  return remaining === undefined ? undefined : Math.max(0, remaining);
}

export function formatProgressLine(snapshot: ProgressSnapshot): string {
  const done = fractionDone(snapshot);
  const filled = Math.round(done * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const percent = `${Math.floor(done * 100)}%`.padStart(4);
  const sent = formatCount(snapshot.sent);
  const of = snapshot.count === undefined ? `${sent} tx` : `${sent}/${formatCount(snapshot.count)} tx`;
  const rate = snapshot.elapsedMs > 0 ? snapshot.sent / (snapshot.elapsedMs / 1_000) : 0;
  const remaining = remainingMs(snapshot, rate);
  const eta = remaining === undefined ? '' : ` · ETA ${Math.ceil(remaining / 1_000)} s`;
  return `${bar} ${percent} ${of} · ${formatCount(rate)} tx/s${eta}`;
}

/** A live line on a terminal, else plain lines; both on `output`. */
export function progressReporter(output: ProgressOutput): ProgressReporter {
  return output.isTTY === true ? new LiveProgressLine(output) : new PlainProgressLines(output);
}

class LiveProgressLine implements ProgressReporter {
  readonly #output: ProgressOutput;
  #drawnAt = Number.NEGATIVE_INFINITY;

  constructor(output: ProgressOutput) {
    this.#output = output;
  }

  update(snapshot: ProgressSnapshot): void {
    if (snapshot.elapsedMs - this.#drawnAt < LIVE_INTERVAL_MS) return;
    this.#drawnAt = snapshot.elapsedMs;
    this.#output.write(`\r${formatProgressLine(snapshot)}${CLEAR_TO_END}`);
  }

  finish(snapshot: ProgressSnapshot): void {
    this.#output.write(`\r${formatProgressLine(snapshot)}${CLEAR_TO_END}\n`);
  }
}

class PlainProgressLines implements ProgressReporter {
  readonly #output: ProgressOutput;
  #writtenAt = 0;

  constructor(output: ProgressOutput) {
    this.#output = output;
  }

  update(snapshot: ProgressSnapshot): void {
    if (snapshot.elapsedMs - this.#writtenAt < PLAIN_INTERVAL_MS) return;
    this.#writtenAt = snapshot.elapsedMs;
    this.#output.write(`generate: ${formatProgressLine(snapshot)}\n`);
  }

  finish(snapshot: ProgressSnapshot): void {
    this.#output.write(`generate: ${formatProgressLine(snapshot)}\n`);
  }
}

/** Reports nothing: for tests, and for callers that show progress their own way. */
export const silentProgress: ProgressReporter = { update: () => undefined, finish: () => undefined };
