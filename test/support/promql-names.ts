/**
 * Which metrics the queries of a Grafana dashboard or of Prometheus alerting rules name, and
 * whether an instance's scrape exports them: a dashboard panel over a metric nobody exports shows
 * "No data" forever, and an alert over one never fires. Used by test/integration/ops-endpoints.
 */

/** One PromQL expression found in a file, and where. */
export interface FoundExpression {
  readonly file: string;
  /** Where in the file: the panel's title (dashboards), the alert or record name (rules). */
  readonly where: string;
  readonly expr: string;
}

// Words of PromQL that look like metric names: operators, modifiers, literals.
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'inf',
  'nan',
  'start',
  'end',
  'atan2',
]);

/**
 * The metric names a PromQL expression selects: every vector selector's name, not functions,
 * aggregations, label names, label values, durations, numbers, or Grafana variables ($app,
 * ${app}, $__rate_interval). Recording rules' names (with colons) count as metric names.
 */
export function metricNamesIn(expr: string): string[] {
  let text = expr
    // Helm templating in a chart's rules (`{{ .Values.x }}`, `{{ "{{" }}`): not PromQL.
    .replace(/\{\{.*?\}\}/g, ' 0 ')
    // Strings: label values, `label_replace` arguments.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    // Label matchers: names and operators only, once the strings are gone.
    .replace(/\{[^{}]*\}/g, ' ')
    // Ranges and subqueries: [5m], [$__rate_interval], [1h:5m].
    .replace(/\[[^\]]*\]/g, ' ')
    // Grafana's variables outside strings.
    .replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\]/g, ' 0 ')
    // The label lists of grouping and matching clauses.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // Modifiers: offset 5m, @ 1700000000, @ start().
    .replace(/\boffset\s+-?[0-9A-Za-z]+/g, ' ')
    .replace(/@\s*(?:[0-9.]+|start\(\)|end\(\))/g, ' ');
  // Numbers (1e3, 0x1f, 1.5, 5m as a duration) go before identifiers are read.
  text = text.replace(/(^|[^A-Za-z0-9_:.])[0-9][0-9A-Za-z_.]*/g, '$1 ');
  const names = new Set<string>();
  for (const match of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = match[0];
    const rest = text.slice((match.index ?? 0) + name.length);
    if (/^\s*\(/.test(rest)) continue; // a function or an aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

/**
 * Every PromQL expression of a Grafana dashboard (JSON): each panel target's `expr` (panels in
 * rows too), and the metric selectors of its variables' `label_values(...)` queries.
 */
export function dashboardExpressions(file: string, json: string): FoundExpression[] {
  const found: FoundExpression[] = [];
  const visit = (node: unknown, where: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, where);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    const here = typeof object.title === 'string' ? object.title : where;
    if (typeof object.expr === 'string' && object.expr.trim() !== '') {
      found.push({ file, where: here, expr: object.expr });
    }
    for (const [key, value] of Object.entries(object))
      visit(value, key === 'templating' ? 'variables' : here);
  };
  const dashboard = JSON.parse(json) as { templating?: { list?: Array<Record<string, unknown>> } };
  visit(dashboard, 'dashboard');
  for (const variable of dashboard.templating?.list ?? []) {
    const query =
      typeof variable.query === 'string' ? variable.query : (variable.query as { query?: unknown })?.query;
    if (typeof query !== 'string') continue;
    const selector = /^\s*label_values\(\s*(.+),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/.exec(query)?.[1];
    if (selector !== undefined)
      found.push({ file, where: `variable ${String(variable.name)}`, expr: selector });
  }
  return found;
}

/**
 * Every `expr:` of a Prometheus rules file or PrometheusRule manifest (YAML, Helm templating
 * allowed): single-line values, quoted or not, and block scalars (`expr: |`, `expr: >-`).
 */
export function ruleExpressions(file: string, yaml: string): FoundExpression[] {
  const found: FoundExpression[] = [];
  const lines = yaml.split('\n');
  let name = 'rules';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const named = /^\s*-?\s*(alert|record):\s*(.+?)\s*$/.exec(line);
    if (named) name = `${named[1]} ${unquote(named[2] as string)}`;
    const match = /^(\s*)-?\s*expr:\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    const value = match[2] as string;
    if (/^[|>][-+]?\d*$/.test(value)) {
      const indent = (match[1] as string).length;
      const block: string[] = [];
      while (i + 1 < lines.length) {
        const next = lines[i + 1] as string;
        if (next.trim() !== '' && next.length - next.trimStart().length <= indent) break;
        block.push(next.trim());
        i++;
      }
      found.push({ file, where: name, expr: block.join(' ').trim() });
    } else if (value !== '') {
      found.push({ file, where: name, expr: unquote(value) });
    }
  }
  return found;
}

/** The names a rules file defines itself (`record:`), which its other rules may select. */
export function recordedNames(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*-?\s*record:\s*(.+?)\s*$/gm)].map((m) => unquote(m[1] as string));
}

function unquote(value: string): string {
  const quoted = /^(['"])(.*)\1$/.exec(value);
  return quoted ? (quoted[2] as string).replace(/''/g, "'") : value;
}

/**
 * The metric names an instance exports, from its scrape (Prometheus text format): every sample's
 * name, and every declared metric with its series names (a histogram's `_bucket`, `_sum` and
 * `_count`, a summary's `_sum` and `_count`), samples or not: a labelled counter nothing has
 * counted yet still exists.
 */
export function exportedNames(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const line of scrape.split('\n')) {
    const declared = /^# TYPE (\S+) (\S+)/.exec(line);
    if (declared) {
      const [, name, type] = declared as unknown as [string, string, string];
      names.add(name);
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)/.exec(line);
    if (sample) names.add(sample[1] as string);
  }
  return names;
}

/**
 * Series Prometheus makes itself, per scrape target or per rule, which no instance exports: a
 * query may name them (`up == 0`: the instance cannot be scraped).
 */
export const PROMETHEUS_OWN_SERIES: ReadonlySet<string> = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  'ALERTS',
  'ALERTS_FOR_STATE',
]);

/** A query that names a metric the scrape lacks. */
export interface MissingMetric extends FoundExpression {
  readonly metric: string;
}

/**
 * Reads dashboards (`.json`) and rules files (`.yaml`, `.yml`) and returns every query's metric
 * that `scrape` does not export (names the rules record themselves, and the series Prometheus
 * makes itself, excepted).
 */
export function missingMetrics(
  files: ReadonlyArray<{ path: string; text: string }>,
  scrape: string,
): { expressions: FoundExpression[]; missing: MissingMetric[] } {
  const exported = new Set([...exportedNames(scrape), ...PROMETHEUS_OWN_SERIES]);
  const expressions: FoundExpression[] = [];
  for (const { path, text } of files) {
    if (path.endsWith('.json')) expressions.push(...dashboardExpressions(path, text));
    else if (/\.ya?ml$/.test(path)) {
      expressions.push(...ruleExpressions(path, text));
      for (const name of recordedNames(text)) exported.add(name);
    } else throw new Error(`${path}: neither a dashboard (.json) nor a rules file (.yaml)`);
  }
  const missing = expressions.flatMap((found) =>
    metricNamesIn(found.expr)
      .filter((metric) => !exported.has(metric))
      .map((metric) => ({ ...found, metric })),
  );
  return { expressions, missing };
}
