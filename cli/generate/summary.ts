/** What a generator run did: counted as it goes, returned at the end, printed as a small table. */
import { TRANSACTION_TYPES, type TransactionType } from '../../topologies/transactions/transaction.ts';
import { RULE_IDS, type RuleId } from './definitions.ts';
import type { Emission, InjectedIncident, Label } from './traffic.ts';

/** Why the run stopped. */
export type StopReason = 'count' | 'duration' | 'event-time span' | 'interrupted';

export interface GenerateSummary {
  topic: string;
  seed: number;
  /** Accounts of the model, and how many had a balance to check at the end. */
  accounts: number;
  accountsWithBalances: number;
  /** Accounts with a currency whose available balance ended below zero. */
  accountsBelowZero: number;
  /** Records sent, duplicates included. */
  records: number;
  /** Distinct transactions sent. */
  transactions: number;
  /** Distinct transactions by type. */
  byType: Record<TransactionType, number>;
  duplicates: number;
  /** Authorizations sent after a capture or reversal that names them. */
  lateAuthorizations: number;
  /** ISO 8601 event times of the first record and of the latest event time sent. */
  firstEventTime: string;
  lastEventTime: string;
  eventTimeSpanMs: number;
  elapsedMs: number;
  recordsPerSecond: number;
  /** Records per second asked for; null when unlimited. */
  targetRate: number | null;
  stoppedBy: StopReason;
  /** Where the expected balances were written; null when they were not asked for. */
  expectedPath: string | null;
  /** Of the records, the history sent before the live traffic (realistic runs). */
  historyRecords: number;
  /** Limit records published on account-limits (realistic runs). */
  limitRecords?: number;
  /** Fraud incidents injected and the labels of the run (realistic runs). */
  fraud?: FraudSummary;
  /** Where the labels were written; null when they were not asked for. */
  labelsPath?: string | null;
}

export interface FraudSummary {
  /** Incidents injected, per pattern. */
  injected: Record<RuleId, number>;
  /** Labels (incidents of each rule's definition in what was sent), per rule; injected or not. */
  labels: Record<RuleId, number>;
  /** Labels that involve no injected transaction: normal traffic that met a definition by accident. */
  incidental: number;
  /** Injected incidents whose own pattern's definition their transactions do not meet (sent or not). */
  unexhibited: number;
}

function perRule(): Record<RuleId, number> {
  return Object.fromEntries(RULE_IDS.map((rule) => [rule, 0])) as Record<RuleId, number>;
}

/** What was injected and what the labels hold. */
export function fraudSummary(injected: readonly InjectedIncident[], labels: readonly Label[]): FraudSummary {
  const summary: FraudSummary = { injected: perRule(), labels: perRule(), incidental: 0, unexhibited: 0 };
  for (const label of labels) {
    summary.labels[label.pattern] += 1;
    if (!label.injected) summary.incidental += 1;
  }
  for (const incident of injected) {
    summary.injected[incident.pattern] += 1;
    const ids = new Set(incident.transactionIds);
    const shown = labels.some(
      (label) =>
        label.pattern === incident.pattern &&
        label.accountId === incident.accountId &&
        label.transactionIds.some((id) => ids.has(id)),
    );
    if (!shown) summary.unexhibited += 1;
  }
  return summary;
}

/** Counts what is emitted, by type and by delivery. */
export class EmissionTally {
  readonly byType = Object.fromEntries(TRANSACTION_TYPES.map((type) => [type, 0])) as Record<
    TransactionType,
    number
  >;
  records = 0;
  history = 0;
  duplicates = 0;
  lateAuthorizations = 0;
  firstEventTime = Number.POSITIVE_INFINITY;
  lastEventTime = Number.NEGATIVE_INFINITY;

  count(emission: Emission): void {
    this.records += 1;
    const { record, delivery } = emission;
    if (record.eventTime < this.firstEventTime) this.firstEventTime = record.eventTime;
    if (record.eventTime > this.lastEventTime) this.lastEventTime = record.eventTime;
    if (delivery === 'duplicate') {
      this.duplicates += 1;
      return;
    }
    if (delivery === 'late') this.lateAuthorizations += 1;
    if (delivery === 'history') this.history += 1;
    this.byType[record.type as TransactionType] += 1;
  }

  get transactions(): number {
    return this.records - this.duplicates;
  }
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function formatCount(value: number): string {
  return integer.format(value);
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)} s`;
}

/** The summary as a small table for people (the --json flag prints the object instead). */
export function formatSummary(summary: GenerateSummary): string {
  const rate = `${formatCount(summary.recordsPerSecond)} tx/s`;
  const target = summary.targetRate === null ? 'unlimited' : `${formatCount(summary.targetRate)} tx/s`;
  const rows: Array<[string, string]> = [
    ['topic', summary.topic],
    ['stopped by', summary.stoppedBy],
    ['seed', String(summary.seed)],
    [
      'records',
      `${formatCount(summary.records)} in ${seconds(summary.elapsedMs)} (${rate}, target ${target})`,
    ],
    ['transactions', `${formatCount(summary.transactions)} distinct`],
    ['duplicates', formatCount(summary.duplicates)],
    ['late authorizations', formatCount(summary.lateAuthorizations)],
    [
      'accounts',
      `${formatCount(summary.accounts)} (${formatCount(summary.accountsWithBalances)} with balances, ${formatCount(summary.accountsBelowZero)} below zero)`,
    ],
    [
      'event times',
      `${summary.firstEventTime} → ${summary.lastEventTime} (${seconds(summary.eventTimeSpanMs)})`,
    ],
    ['expected balances', summary.expectedPath ?? '(not written: use --expected <file>)'],
  ];
  if (summary.fraud !== undefined) {
    const injected = Object.values(summary.fraud.injected).reduce((sum, n) => sum + n, 0);
    const labels = Object.values(summary.fraud.labels).reduce((sum, n) => sum + n, 0);
    rows.push(
      ['history', `${formatCount(summary.historyRecords)} records before the live traffic`],
      ['limit records', formatCount(summary.limitRecords ?? 0)],
      [
        'fraud incidents',
        `${formatCount(injected)} injected (${formatCount(summary.fraud.unexhibited)} not shown in full by the end)`,
      ],
      [
        'labels',
        `${formatCount(labels)} (${formatCount(summary.fraud.incidental)} incidental) in ${summary.labelsPath ?? '(not written: use --labels <file>)'}`,
      ],
    );
  }
  const byType = TRANSACTION_TYPES.map((type): [string, string] => [
    `  ${type}`,
    formatCount(summary.byType[type]),
  ]);
  const width = Math.max(...[...rows, ...byType].map(([label]) => label.length));
  const line = ([label, value]: [string, string]) => `${label.padEnd(width)}  ${value}`;
  return [...rows.map(line), 'by type', ...byType.map(line)].join('\n');
}
