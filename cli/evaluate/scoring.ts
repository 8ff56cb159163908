/**
 * How well alerts match a run's labels (the ground truth `saldo generate --labels` writes), per rule
 * and overall. Pure: alerts and labels in, numbers out.
 *
 * - An alert counts once per alert id (a replay or a duplicate delivery repeats ids).
 * - An alert of rule R is a true positive when its transactions intersect those of a label of
 *   pattern R on the same account; precision = true positives / alerts.
 * - A label is found when some alert of its pattern on its account intersects it;
 *   recall = labels found / labels.
 * - Overall sums the counts of every rule (micro-average). A ratio with nothing to divide by is
 *   null (no alerts: no precision; no labels: no recall).
 */

/** What scoring needs of an alert (fraud-alert.avsc). */
export interface ScoredAlert {
  alertId: string;
  accountId: string;
  ruleId: string;
  transactionIds: readonly string[];
}

/** What scoring needs of a label (cli/generate's labels file). */
export interface ScoredLabel {
  pattern: string;
  accountId: string;
  transactionIds: readonly string[];
}

export interface RuleScore {
  /** True positives / alerts; null without alerts. */
  precision: number | null;
  /** Labels found / labels; null without labels. */
  recall: number | null;
  /** Distinct alerts of the rule. */
  alerts: number;
  /** Labels of the rule. */
  labelled: number;
  truePositives: number;
  found: number;
}

export interface Evaluation {
  rules: Record<string, RuleScore>;
  overall: RuleScore;
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);

function score(truePositives: number, alerts: number, found: number, labelled: number): RuleScore {
  return {
    precision: ratio(truePositives, alerts),
    recall: ratio(found, labelled),
    alerts,
    labelled,
    truePositives,
    found,
  };
}

const keyOf = (rule: string, accountId: string) => `${rule}\u0000${accountId}`;

/** Scores alerts against labels; `rules` are listed even when neither has any (the rule set's). */
export function evaluateAlerts(
  alerts: Iterable<ScoredAlert>,
  labels: readonly ScoredLabel[],
  rules: readonly string[] = [],
): Evaluation {
  const distinct = new Map<string, ScoredAlert>();
  for (const alert of alerts) if (!distinct.has(alert.alertId)) distinct.set(alert.alertId, alert);

  // Labels by rule and account, each with its transactions as a set.
  const labelsByKey = new Map<string, Array<{ ids: Set<string>; found: boolean }>>();
  for (const label of labels) {
    const key = keyOf(label.pattern, label.accountId);
    let list = labelsByKey.get(key);
    if (list === undefined) {
      list = [];
      labelsByKey.set(key, list);
    }
    list.push({ ids: new Set(label.transactionIds), found: false });
  }

  const counts = new Map<string, { alerts: number; truePositives: number }>();
  const countsOf = (rule: string) => {
    let found = counts.get(rule);
    if (found === undefined) {
      found = { alerts: 0, truePositives: 0 };
      counts.set(rule, found);
    }
    return found;
  };
  for (const rule of rules) countsOf(rule);
  for (const label of labels) countsOf(label.pattern);

  for (const alert of distinct.values()) {
    const ruleCounts = countsOf(alert.ruleId);
    ruleCounts.alerts += 1;
    let truePositive = false;
    for (const label of labelsByKey.get(keyOf(alert.ruleId, alert.accountId)) ?? []) {
      if (alert.transactionIds.some((id) => label.ids.has(id))) {
        truePositive = true;
        label.found = true;
      }
    }
    if (truePositive) ruleCounts.truePositives += 1;
  }

  const labelled = new Map<string, { labelled: number; found: number }>();
  for (const [key, list] of labelsByKey) {
    const rule = key.slice(0, key.indexOf('\u0000'));
    const entry = labelled.get(rule) ?? { labelled: 0, found: 0 };
    entry.labelled += list.length;
    entry.found += list.filter((label) => label.found).length;
    labelled.set(rule, entry);
  }

  const result: Record<string, RuleScore> = {};
  let totals = { truePositives: 0, alerts: 0, found: 0, labelled: 0 };
  for (const rule of [...counts.keys()].sort()) {
    const { alerts: alertCount, truePositives } = counts.get(rule) as {
      alerts: number;
      truePositives: number;
    };
    const { labelled: labelCount, found } = labelled.get(rule) ?? { labelled: 0, found: 0 };
    result[rule] = score(truePositives, alertCount, found, labelCount);
    totals = {
      truePositives: totals.truePositives + truePositives,
      alerts: totals.alerts + alertCount,
      found: totals.found + found,
      labelled: totals.labelled + labelCount,
    };
  }
  return {
    rules: result,
    overall: score(totals.truePositives, totals.alerts, totals.found, totals.labelled),
  };
}
