import { createHash } from 'node:crypto';
import type { Severity } from './rule-set.ts';

/** Evidence as the alert carries it (fraud-alert.avsc). */
export interface AlertEvidence {
  measure: string;
  value: bigint;
  threshold: bigint;
  unit: string;
  window: string | null;
}

/** The value of a record on the fraud-alerts topic (schemas/fraud-alert.avsc). */
export interface FraudAlert {
  alertId: string;
  accountId: string;
  ruleId: string;
  ruleVersion: number;
  ruleSetVersion: string;
  severity: Severity;
  score: number;
  transactionId: string;
  transactionIds: string[];
  evidence: AlertEvidence[];
  summary: string;
  /** ms since the epoch. */
  eventTime: number;
  /** ms since the epoch (wall clock). */
  detectedAt: number;
}

/**
 * The alert's id: a hash of what raised it (rule id and version, account, transaction), so a
 * replay of the same input raises the same ids and a reader can drop duplicates by id.
 */
export function alertIdOf(
  ruleId: string,
  ruleVersion: number,
  accountId: string,
  transactionId: string,
): string {
  return createHash('sha256')
    .update(`${ruleId}\u0000${ruleVersion}\u0000${accountId}\u0000${transactionId}`)
    .digest('hex')
    .slice(0, 32);
}
