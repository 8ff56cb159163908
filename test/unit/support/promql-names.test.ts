import { describe, expect, it } from 'vitest';
import {
  dashboardExpressions,
  exportedNames,
  metricNamesIn,
  missingMetrics,
  ruleExpressions,
} from '../../support/promql-names.ts';

describe('the metric names of a PromQL expression', () => {
  // Each expected list is what Prometheus' own parser (promql/parser) finds as vector selectors.
  const cases: Array<[string, string[]]> = [
    ['saldo_tasks', ['saldo_tasks']],
    [
      'histogram_quantile(0.99, sum by (le, topic) (rate(saldo_end_to_end_latency_seconds_bucket{app=~"$app"}[$__rate_interval])))',
      ['saldo_end_to_end_latency_seconds_bucket'],
    ],
    [
      'sum(rate(saldo_commits_total{app="a", reason!~"fenced|error"}[5m])) by (instance_id) / on(instance_id) group_left(thread) sum without (task) (saldo_tasks)',
      ['saldo_commits_total', 'saldo_tasks'],
    ],
    [
      'time() - max(saldo_last_commit_timestamp_seconds{app="x"} > 0) > bool 300',
      ['saldo_last_commit_timestamp_seconds'],
    ],
    ['{__name__="saldo_tasks", state="running"}', []],
    [
      'absent(up{job="saldo"}) or vector(0) unless on() nodejs_version_info offset 1h',
      ['up', 'nodejs_version_info'],
    ],
    [
      'label_replace(saldo_consumer_lag_records, "p", "$1", "partition", "(.*)") * 1e3 + 0x10',
      ['saldo_consumer_lag_records'],
    ],
    ['max_over_time(saldo:lag:sum[1h:5m] @ 1700000000)', ['saldo:lag:sum']],
    [
      'sum(increase(saldo_dead_letters_total{app="{{ .Release.Name }}"}[{{ .Values.window }}])) > {{ .Values.max }}',
      ['saldo_dead_letters_total'],
    ],
    [
      'topk(5, sum by (topic, partition) (saldo_consumer_lag_records{app=~"${app}"}))',
      ['saldo_consumer_lag_records'],
    ],
  ];
  it.each(cases)('%s', (expr, names) => {
    expect(metricNamesIn(expr).sort()).toEqual([...names].sort());
  });
});

describe('queries found in files', () => {
  it("are a dashboard's panel targets, rows' panels and label_values variables", () => {
    const dashboard = JSON.stringify({
      panels: [
        { title: 'Throughput', targets: [{ expr: 'sum(rate(saldo_records_processed_total[1m]))' }] },
        {
          type: 'row',
          title: 'Folded',
          panels: [{ title: 'Lag', targets: [{ expr: 'saldo_consumer_lag_records' }, { expr: '' }] }],
        },
      ],
      templating: {
        list: [
          { name: 'datasource', type: 'datasource', query: 'prometheus' },
          { name: 'app', type: 'query', query: { query: 'label_values(saldo_tasks, app)' } },
          { name: 'instance', type: 'query', query: 'label_values(instance_id)' },
        ],
      },
    });
    expect(dashboardExpressions('d.json', dashboard)).toEqual([
      { file: 'd.json', where: 'Throughput', expr: 'sum(rate(saldo_records_processed_total[1m]))' },
      { file: 'd.json', where: 'Lag', expr: 'saldo_consumer_lag_records' },
      { file: 'd.json', where: 'variable app', expr: 'saldo_tasks' },
    ]);
  });

  it("are a rules file's expr values: plain, quoted, and block scalars, with their alert or record", () => {
    const yaml = [
      'apiVersion: monitoring.coreos.com/v1',
      'kind: PrometheusRule',
      'spec:',
      '  groups:',
      '    - name: saldo',
      '      rules:',
      '        - record: saldo:lag:sum',
      '          expr: sum by (app) (saldo_consumer_lag_records)',
      '        - alert: SaldoLagHigh',
      '          expr: |',
      '            saldo:lag:sum',
      '              > {{ .Values.alerts.lag }}',
      '          for: 10m',
      '        - alert: SaldoNoCommits',
      "          expr: 'time() - max(saldo_last_commit_timestamp_seconds) > 300'",
      '          labels:',
      '            severity: critical',
    ].join('\n');
    expect(ruleExpressions('r.yaml', yaml)).toEqual([
      { file: 'r.yaml', where: 'record saldo:lag:sum', expr: 'sum by (app) (saldo_consumer_lag_records)' },
      { file: 'r.yaml', where: 'alert SaldoLagHigh', expr: 'saldo:lag:sum > {{ .Values.alerts.lag }}' },
      {
        file: 'r.yaml',
        where: 'alert SaldoNoCommits',
        expr: 'time() - max(saldo_last_commit_timestamp_seconds) > 300',
      },
    ]);
  });
});

describe('a scrape', () => {
  const scrape = [
    '# HELP saldo_commit_latency_seconds Time to commit',
    '# TYPE saldo_commit_latency_seconds histogram',
    'saldo_commit_latency_seconds_bucket{le="0.1",app="a"} 3',
    '# TYPE saldo_dead_letters_total counter',
    '# TYPE saldo_tasks gauge',
    'saldo_tasks{state="running"} 4',
    'process_cpu_seconds_total 1.5',
  ].join('\n');

  it("exports every sample's name and every declared metric, a histogram with its series", () => {
    expect([...exportedNames(scrape)].sort()).toEqual(
      [
        'process_cpu_seconds_total',
        'saldo_commit_latency_seconds',
        'saldo_commit_latency_seconds_bucket',
        'saldo_commit_latency_seconds_count',
        'saldo_commit_latency_seconds_sum',
        'saldo_dead_letters_total',
        'saldo_tasks',
      ].sort(),
    );
  });

  it('lacks what a query names that it does not export, except what the rules record and what Prometheus makes (up)', () => {
    const { expressions, missing } = missingMetrics(
      [
        {
          path: 'd.json',
          text: JSON.stringify({
            panels: [
              {
                title: 'P',
                targets: [{ expr: 'rate(saldo_commit_latency_seconds_sum[1m]) / saldo_commits_total' }],
              },
            ],
          }),
        },
        {
          path: 'r.yaml',
          text: '- record: saldo:tasks\n  expr: sum(saldo_tasks)\n- alert: A\n  expr: saldo:tasks < 1 or absent(saldo_dead_letter_total)\n- alert: Down\n  expr: up{job!=""} == 0\n',
        },
      ],
      scrape,
    );
    expect(expressions).toHaveLength(4);
    expect(missing.map((m) => `${m.where}: ${m.metric}`)).toEqual([
      'P: saldo_commits_total',
      'alert A: saldo_dead_letter_total',
    ]);
  });
});
