import type { Registry } from 'prom-client';
import { counterOn } from '../registry-metrics.ts';
import type { FraudObserver } from './fraud-processor.ts';

/**
 * The fraud processor's metrics on an app's registry: `saldo_fraud_late_records_total` (transactions
 * later than the grace: in the balance, not in the windows) and `saldo_fraud_alerts_total` by rule
 * and severity.
 */
export function fraudMetricsOn(registry: Registry): FraudObserver {
  const late = counterOn(registry, {
    name: 'saldo_fraud_late_records_total',
    help: 'Transactions later than the fraud grace: they changed balances, not velocity windows, and were not evaluated',
    labelNames: [],
  });
  const alerts = counterOn(registry, {
    name: 'saldo_fraud_alerts_total',
    help: 'Fraud alerts raised, by rule and severity',
    labelNames: ['rule', 'severity'],
  });
  return {
    lateRecord: () => late.inc(),
    alert: (rule, severity) => alerts.inc({ rule, severity }),
  };
}
