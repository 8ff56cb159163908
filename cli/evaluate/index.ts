/**
 * `saldo evaluate`: the fraud alerts of a run scored against its labels. Everything not exported
 * here is private to cli/evaluate/.
 */
export { AlertsReadError, readAlerts, type AlertsReaderOptions } from './alerts-reader.ts';
export { evaluationAsJson, formatEvaluation } from './report.ts';
export {
  evaluateAlerts,
  type Evaluation,
  type RuleScore,
  type ScoredAlert,
  type ScoredLabel,
} from './scoring.ts';
