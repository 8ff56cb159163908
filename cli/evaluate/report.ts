/** The evaluation for people (a table) and for tools (one JSON object). */
import type { Evaluation, RuleScore } from './scoring.ts';

const percent = (value: number | null): string => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);

/** `{"rules": {"<rule id>": {"precision", "recall", "alerts", "labelled"}}, "overall": {...}}`. */
export function evaluationAsJson(evaluation: Evaluation): string {
  const shape = (score: RuleScore) => ({
    precision: score.precision,
    recall: score.recall,
    alerts: score.alerts,
    labelled: score.labelled,
  });
  return JSON.stringify({
    rules: Object.fromEntries(Object.entries(evaluation.rules).map(([rule, score]) => [rule, shape(score)])),
    overall: shape(evaluation.overall),
  });
}

/** One line per rule, then overall: precision (true positives of alerts), recall (found of labels). */
export function formatEvaluation(evaluation: Evaluation): string {
  const rows: string[][] = [['rule', 'precision', 'recall', 'alerts', 'true pos.', 'labelled', 'found']];
  const row = (name: string, score: RuleScore) => [
    name,
    percent(score.precision),
    percent(score.recall),
    String(score.alerts),
    String(score.truePositives),
    String(score.labelled),
    String(score.found),
  ];
  for (const [rule, score] of Object.entries(evaluation.rules)) rows.push(row(rule, score));
  rows.push(row('overall', evaluation.overall));
  const widths = (rows[0] as string[]).map((_, column) =>
    Math.max(...rows.map((cells) => (cells[column] as string).length)),
  );
  return rows
    .map((cells, index) => {
      const line = cells
        .map((cell, column) =>
          column === 0 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number),
        )
        .join('  ');
      return index === rows.length - 1 ? `${'-'.repeat(line.length)}\n${line}` : line;
    })
    .join('\n');
}
