import type { z } from 'zod';
import type { Transaction } from '../transactions/transaction.ts';
import type { AccountActivity, LimitUsage, RecentSpend, SpendKind } from './activity.ts';
import type { EffectiveLimits } from './limits.ts';
import type { WindowLabel, WindowValues } from './velocity.ts';

/**
 * What a rule sees of one admitted transaction: the transaction, the account's velocity windows
 * and limit usage with it included, what the account's activity was before it, its limits, and
 * the balances it left. Rules are pure: they read this and say whether they fire.
 */
export interface RuleInput {
  readonly transaction: Transaction;
  /** What kind of spend it is; undefined when it is not one (deposits, captures, fees, …). */
  readonly spend: SpendKind | undefined;
  /** Its amount when in the rule set's currency. */
  readonly amountMinor: bigint | undefined;
  /** The rule set's currency (amounts in evidence are in it). */
  readonly currency: string;
  /** A velocity window ending at the transaction's event time, including it. */
  window(label: WindowLabel): WindowValues;
  /** The account's activity before this transaction. */
  readonly before: Readonly<AccountActivity>;
  /** The account's recent spends including this one, oldest first. */
  readonly recent: readonly RecentSpend[];
  /** The calendar day's and month's spends including this one; null before the first spend. */
  readonly usage: LimitUsage | null;
  readonly limits: EffectiveLimits;
  /** Available balance per currency after the transaction. */
  readonly available: ReadonlyMap<string, bigint>;
}

/** One measured value against its threshold. */
export interface Evidence {
  measure: string;
  value: bigint;
  threshold: bigint;
  /** count, a currency code (amounts in its minor units), km, km/h, days, percent or minutes. */
  unit: string;
  window: string | null;
}

/** What a rule reports when it fires (the processor adds ids, version, severity and cooldown). */
export interface Finding {
  /** 0–100. */
  score: number;
  /** The transactions involved; the processor puts the raising one last. */
  transactionIds: readonly string[];
  evidence: readonly Evidence[];
  /** One line for an analyst: no card number, no personal data. */
  summary: string;
}

/** A fraud rule: an id, its parameters' schema, and a pure evaluation. */
export interface FraudRule<P = unknown> {
  readonly id: string;
  /** What it catches, in one line (docs and `saldo describe`). */
  readonly description: string;
  readonly parameters: z.ZodType<P>;
  evaluate(input: RuleInput, parameters: P): Finding | undefined;
}

/** Declares a rule with its parameters' type inferred from the schema. */
export function defineRule<S extends z.ZodType>(rule: {
  id: string;
  description: string;
  parameters: S;
  evaluate(input: RuleInput, parameters: z.infer<S>): Finding | undefined;
}): FraudRule<z.infer<S>> {
  // zod's generic schema type does not narrow to ZodType<output>: the cast is that narrowing.
  return { ...rule, parameters: rule.parameters as unknown as z.ZodType<z.infer<S>> };
}

/**
 * How far past its threshold a value is, as a score: 50 just past it, 100 at twice it or more.
 * Thresholds of 0 score 100.
 */
export function exceedScore(value: bigint | number, threshold: bigint | number): number {
  const t = Number(threshold);
  if (t <= 0) return 100;
  const ratio = Number(value) / t;
  return Math.max(0, Math.min(100, Math.round(50 + 50 * (ratio - 1))));
}

/** Whole units of money for a summary line: 123456n MXN → "1,234.56 MXN". */
export function money(minor: bigint, currency: string): string {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  const units = (abs / 100n).toLocaleString('en-US');
  return `${sign}${units}.${String(abs % 100n).padStart(2, '0')} ${currency}`;
}

/** Ids of the spends in `recent` that match, oldest first. */
export function idsOf(recent: readonly RecentSpend[], keep: (spend: RecentSpend) => boolean): string[] {
  return recent.filter(keep).map((spend) => spend.transactionId);
}
