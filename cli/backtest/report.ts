/**
 * What `saldo backtest` counts and reports: alerts per rule of the production and the candidate
 * rule sets, over the transactions whose event time is in the window [from, to); the warm-up
 * before it builds state and counts nothing.
 */
import { formatTime } from './times.ts';

export type RunName = 'production' | 'candidate';

/** How the candidate's configuration of a rule differs from production's. */
export type RuleChange = 'same' | 'changed' | 'disabled' | 'enabled' | 'added' | 'removed';

export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
  /** Where processing starts; undefined: at the start of the input topics. */
  readonly warmupFromMs: number | undefined;
}

/** A rule set as the report names it. */
export interface RuleSetSummary {
  readonly file: string;
  readonly version: string;
  /** The rule set's JSON (validated), to compare rules. */
  readonly json: unknown;
}

export interface RuleCounts {
  readonly production: number;
  readonly candidate: number;
  readonly difference: number;
  readonly change: RuleChange;
}

export interface BacktestReport {
  readonly from: string;
  readonly to: string;
  /** null: from the start of the input topics. */
  readonly warmupFrom: string | null;
  readonly transactions: {
    /** Records read from the transactions topic. */
    readonly read: number;
    /** Those processed: event time within [warm-up start, to). */
    readonly processed: number;
    /** Those whose event time is in [from, to): the ones whose alerts count. */
    readonly inWindow: number;
  };
  /** Input records processing refused (undecodable or invalid), in the production run. */
  readonly deadLetters: number;
  readonly outputTopic: string;
  /** Alerts written to outputTopic: the candidate's within the window. */
  readonly written: number;
  readonly production: { readonly rules: string; readonly version: string };
  readonly candidate: { readonly rules: string; readonly version: string };
  /** By rule id: production's rules in their order, then those only the candidate has. */
  readonly rules: Readonly<Record<string, RuleCounts>>;
  readonly totals: { readonly production: number; readonly candidate: number; readonly difference: number };
}

/** Counts transactions and alerts, each alert by the event time of the transaction that raised it. */
export class AlertTally {
  readonly #window: Window;
  readonly #alerts: Record<RunName, Map<string, number>> = { production: new Map(), candidate: new Map() };
  #read = 0;
  #processed = 0;
  #inWindow = 0;

  constructor(window: Window) {
    this.#window = window;
  }

  /** Whether a transaction of this event time is processed (warm-up or window); counts it read. */
  admits(eventTime: number): boolean {
    this.#read += 1;
    const { warmupFromMs, fromMs, toMs } = this.#window;
    if (eventTime >= toMs || (warmupFromMs !== undefined && eventTime < warmupFromMs)) return false;
    this.#processed += 1;
    if (eventTime >= fromMs) this.#inWindow += 1;
    return true;
  }

  /** Transactions read and processed so far (progress). */
  get progress(): { read: number; processed: number } {
    return { read: this.#read, processed: this.#processed };
  }

  /** Counts an alert raised in the window and says so; false for one of the warm-up. */
  count(run: RunName, alert: { readonly ruleId: string; readonly eventTime: number }): boolean {
    if (alert.eventTime < this.#window.fromMs || alert.eventTime >= this.#window.toMs) return false;
    const counts = this.#alerts[run];
    counts.set(alert.ruleId, (counts.get(alert.ruleId) ?? 0) + 1);
    return true;
  }

  report(context: {
    production: RuleSetSummary;
    candidate: RuleSetSummary;
    outputTopic: string;
    written: number;
    deadLetters: number;
  }): BacktestReport {
    const changes = ruleChanges(context.production.json, context.candidate.json);
    const rules: Record<string, RuleCounts> = {};
    const totals = { production: 0, candidate: 0, difference: 0 };
    for (const [id, change] of changes) {
      const production = this.#alerts.production.get(id) ?? 0;
      const candidate = this.#alerts.candidate.get(id) ?? 0;
      rules[id] = { production, candidate, difference: candidate - production, change };
      totals.production += production;
      totals.candidate += candidate;
    }
    totals.difference = totals.candidate - totals.production;
    const { fromMs, toMs, warmupFromMs } = this.#window;
    return {
      from: formatTime(fromMs),
      to: formatTime(toMs),
      warmupFrom: warmupFromMs === undefined ? null : formatTime(warmupFromMs),
      transactions: { read: this.#read, processed: this.#processed, inWindow: this.#inWindow },
      deadLetters: context.deadLetters,
      outputTopic: context.outputTopic,
      written: context.written,
      production: { rules: context.production.file, version: context.production.version },
      candidate: { rules: context.candidate.file, version: context.candidate.version },
      rules,
      totals,
    };
  }
}

/** Each rule's entry in a rule set's JSON, by id, in the file's order. */
function entriesOf(json: unknown): Map<string, unknown> {
  const rules = (json as { rules?: unknown } | null)?.rules;
  const entries = new Map<string, unknown>();
  if (!Array.isArray(rules)) return entries;
  for (const entry of rules) {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id === 'string') entries.set(id, entry);
  }
  return entries;
}

/** JSON with object keys sorted, so that two equal configurations compare equal as text. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * How the candidate configures each rule against production: production's rules in their order,
 * then the candidate's new ones.
 */
export function ruleChanges(production: unknown, candidate: unknown): Map<string, RuleChange> {
  const before = entriesOf(production);
  const after = entriesOf(candidate);
  const changes = new Map<string, RuleChange>();
  const enabled = (entry: unknown) => (entry as { enabled?: unknown }).enabled === true;
  for (const [id, entry] of before) {
    const next = after.get(id);
    if (next === undefined) changes.set(id, 'removed');
    else if (enabled(entry) && !enabled(next)) changes.set(id, 'disabled');
    else if (!enabled(entry) && enabled(next)) changes.set(id, 'enabled');
    else changes.set(id, canonical(entry) === canonical(next) ? 'same' : 'changed');
  }
  for (const id of after.keys()) if (!before.has(id)) changes.set(id, 'added');
  return changes;
}

/** The report as one line of JSON (`--json`). */
export function backtestAsJson(report: BacktestReport): string {
  return JSON.stringify(report);
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** The report for a terminal. */
export function formatBacktest(report: BacktestReport): string {
  const { transactions: tx } = report;
  const lines = [
    `backtest ${report.from} → ${report.to}, warm-up from ${report.warmupFrom ?? 'the start of the input'}`,
    `  transactions: ${tx.read} read, ${tx.processed} processed, ${tx.inWindow} in the window; ${report.deadLetters} dead letter(s)`,
    `  production rules: ${report.production.rules} (${report.production.version})`,
    `  candidate rules:  ${report.candidate.rules} (${report.candidate.version})`,
    `  candidate alerts: ${report.written} written to ${report.outputTopic}`,
    '',
  ];
  const rows = [
    ['rule', 'production', 'candidate', 'difference', 'change'],
    ...Object.entries(report.rules).map(([id, r]) => [
      id,
      String(r.production),
      String(r.candidate),
      signed(r.difference),
      r.change === 'same' ? '' : r.change,
    ]),
    [
      'total',
      String(report.totals.production),
      String(report.totals.candidate),
      signed(report.totals.difference),
      '',
    ],
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows) {
    const cells = row.map((cell, column) => {
      const width = widths[column] ?? 0;
      // Rule ids and changes read left to right; counts line up on the right.
      return column === 0 || column === 4 ? cell.padEnd(width) : cell.padStart(width);
    });
    lines.push(cells.join('  ').trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
