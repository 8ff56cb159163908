import { Counter, type Registry } from 'prom-client';
import type { FraudObserver } from './fraud-processor.ts';

function counterOn<L extends string>(
  registry: Registry,
  config: { name: string; help: string; labelNames: readonly L[] },
): Counter<L> {
  // Every task's processor (and a topology built twice) shares the registry's one counter.
  const existing = registry.getSingleMetric(config.name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ ...config, registers: [registry] });
}

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
