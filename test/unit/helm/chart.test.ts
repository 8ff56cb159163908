// The Helm chart, checked without a cluster: helm lint and helm template with the default and the
// production-like values, kubeconform -strict on what they render (local schemas), and what the
// manifests must say for saldo to run well in Kubernetes. The tools install into .tools/ the first
// time (minutes: `go install` of helm); `npm run tools:helm` does it ahead.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { streamsConfigFrom } from '../../../cli/env-config.ts';
import { JEMALLOC_LIBRARY_PATHS } from '../../../cli/node-options.ts';
import { validateStreamsConfig } from '../../../processor/index.ts';
import { parseRuleSet } from '../../../topologies/fraud/rule-set.ts';
import {
  ALERT_RULE_TESTS,
  CHECKED_VALUES,
  checkAlertRules,
  lintChart,
  PRODUCTION_VALUES,
  renderChart,
  testAlertRules,
  TRIAL_VALUES,
  validateManifests,
  type RenderOptions,
} from '../../../scripts/helm-check/chart-check.ts';
import {
  CHART_DIR,
  ensureHelmTools,
  KUBERNETES_VERSIONS,
  REPO_ROOT,
  type HelmTools,
} from '../../../scripts/helm-check/tools.ts';

/** The metric names of the issue-16 contract (docs/deploy.md): alerts may use these and `up` only. */
const CONTRACT_METRICS = new Set([
  'saldo_records_processed_total',
  'saldo_dead_letters_total',
  'saldo_commits_total',
  'saldo_commit_failures_total',
  'saldo_commit_latency_seconds',
  'saldo_restore_records_total',
  'saldo_restore_remaining_records',
  'saldo_tasks',
  'saldo_punctuation_errors_total',
  'saldo_input_records_lost_to_retention_total',
  'saldo_fraud_late_records_total',
  'saldo_fraud_alerts_total',
  'saldo_processor_records_total',
  'saldo_processor_latency_seconds',
  'saldo_end_to_end_latency_seconds',
  'saldo_records_produced_total',
  'saldo_transactions_aborted_total',
  'saldo_consumer_lag_records',
  'saldo_restore_duration_seconds',
  'saldo_restore_records_per_second',
  'saldo_standby_lag_records',
  'saldo_state_store_size_bytes',
  'saldo_rebalances_total',
  'saldo_rebalance_duration_seconds',
  'saldo_redis_write_errors_total',
  'saldo_last_commit_timestamp_seconds',
]);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  command: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string }[];
  startupProbe: Probe;
  livenessProbe: Probe;
  readinessProbe: Probe;
}
interface Probe {
  httpGet: { path: string; port: string };
  periodSeconds: number;
  failureThreshold: number;
}
interface ProjectedVolume {
  name: string;
  projected?: { sources: { secret: { name: string; items: { key: string; path: string }[] } }[] };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface StatefulSetSpec {
  serviceName: string;
  selector: { matchLabels: Record<string, string> };
  volumeClaimTemplates: { metadata: { name: string } }[];
  template: {
    metadata: { labels: Record<string, string> };
    spec: { terminationGracePeriodSeconds: number; containers: Container[]; volumes: ProjectedVolume[] };
  };
}

let tools: HelmTools;

beforeAll(async () => {
  tools = await ensureHelmTools(() => undefined);
}, 30 * 60_000);

function render(options: RenderOptions = {}): Manifest[] {
  const result = renderChart(tools, options);
  if (result.status !== 0) throw new Error(`helm template failed:\n${result.stderr}`);
  return parseAllDocuments(result.stdout)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

function only(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  expect(found.map((m) => `${m.kind}/${m.metadata.name}`)).toHaveLength(1);
  return found[0] as Manifest;
}

function statefulSet(manifests: Manifest[]): StatefulSetSpec {
  return only(manifests, 'StatefulSet').spec as unknown as StatefulSetSpec;
}

function container(manifests: Manifest[]): Container {
  return statefulSet(manifests).template.spec.containers[0] as Container;
}

/** The container's environment as the kubelet builds it for one pod: $(VAR) references expanded. */
function podEnvironment(manifests: Manifest[], pod: { name: string; namespace: string }): NodeJS.ProcessEnv {
  const env: Record<string, string> = {};
  for (const variable of container(manifests).env) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    if (field === 'metadata.name') env[variable.name] = pod.name;
    else if (field === 'metadata.namespace') env[variable.name] = pod.namespace;
    else if (variable.value !== undefined)
      env[variable.name] = variable.value.replace(
        /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (_, name: string) => env[name] ?? '',
      );
  }
  return env;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

const rulesFile = parse(readFileSync(join(CHART_DIR, 'prometheus-rules.yaml'), 'utf8')) as {
  groups: { name: string; rules: { alert: string; expr: string; labels: Record<string, string> }[] }[];
};
const fileAlerts = rulesFile.groups.flatMap((group) => group.rules);

describe('the manifests of the default values', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = render();
  });

  it('runs node itself as the container process, so that SIGTERM reaches saldo', () => {
    expect(container(manifests).command).toEqual([
      'node',
      'dist/cli/main.js',
      'run',
      '--topology',
      'product',
    ]);
  });

  it('gives the engine a configuration it accepts, with the pod name as instance id and its DNS name as query endpoint', () => {
    const env = podEnvironment(manifests, { name: 'saldo-2', namespace: 'saldo' });
    const config = validateStreamsConfig(streamsConfigFrom(env, {}));
    expect(config.instanceId).toBe('saldo-2');
    expect(config.applicationServer).toBe('saldo-2.saldo-headless.saldo.svc.cluster.local:8080');
    expect(config.applicationId).toBe('saldo');
    expect(config.processingGuarantee).toBe('exactly-once');
    expect(config.numStandbyReplicas).toBe(1);
    expect(config.brokers).toEqual(['kafka:9092']);
    expect(env.SALDO_OPS_PORT).toBe('9464');
  });

  it('keeps the state directory on the pod’s persistent volume', () => {
    const spec = statefulSet(manifests);
    const stateDir = podEnvironment(manifests, { name: 'saldo-0', namespace: 'saldo' }).SALDO_STATE_DIR ?? '';
    const mount = container(manifests).volumeMounts.find((m) => stateDir.startsWith(`${m.mountPath}/`));
    expect(mount?.name).toBe('state');
    expect(spec.volumeClaimTemplates.map((claim) => claim.metadata.name)).toEqual(['state']);
    expect(spec.template.spec.volumes.map((volume) => volume.name)).not.toContain('state');
  });

  it('names the ops and query ports and probes /healthz and /readyz on the ops port', () => {
    const main = container(manifests);
    expect(main.ports).toEqual([
      { name: 'http-query', containerPort: 8080, protocol: 'TCP' },
      { name: 'http-ops', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(main.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-ops' });
    expect(main.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-ops' });
    expect(main.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http-ops' });
    // A start (schema registration, the first join) may take minutes before liveness counts.
    expect(main.startupProbe.periodSeconds * main.startupProbe.failureThreshold).toBeGreaterThanOrEqual(180);
  });

  it('gives a stopping pod time for its last commit', () => {
    const env = podEnvironment(manifests, { name: 'saldo-0', namespace: 'saldo' });
    const grace = statefulSet(manifests).template.spec.terminationGracePeriodSeconds;
    expect(grace).toBeGreaterThanOrEqual(Number(env.SALDO_COMMIT_INTERVAL_MS) / 1000 + 30);
  });

  it('publishes every pod, ready or not, on a headless Service named by the StatefulSet', () => {
    const spec = statefulSet(manifests);
    const headless = only(manifests, 'Service', spec.serviceName).spec as {
      clusterIP: string;
      publishNotReadyAddresses: boolean;
      selector: Record<string, string>;
      ports: { name: string }[];
    };
    expect(headless.clusterIP).toBe('None');
    expect(headless.publishNotReadyAddresses).toBe(true);
    expect(matches(headless.selector, spec.template.metadata.labels)).toBe(true);
    expect(headless.ports.map((port) => port.name)).toEqual(['http-query', 'http-ops']);
    const query = only(manifests, 'Service', 'saldo').spec as { selector: Record<string, string> };
    expect(matches(query.selector, spec.template.metadata.labels)).toBe(true);
  });

  it('lets a voluntary disruption take one pod at a time', () => {
    const budget = only(manifests, 'PodDisruptionBudget').spec as {
      maxUnavailable: number;
      selector: { matchLabels: Record<string, string> };
    };
    expect(budget.maxUnavailable).toBe(1);
    expect(matches(budget.selector.matchLabels, statefulSet(manifests).template.metadata.labels)).toBe(true);
  });

  it('renders no monitoring resources unless asked (their CRDs may not exist)', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'PodDisruptionBudget',
      'Service',
      'Service',
      'ServiceAccount',
      'StatefulSet',
    ]);
  });
});

describe('the manifests of production-like values', () => {
  const production: RenderOptions = {
    release: 'saldo-prod',
    namespace: 'payments',
    valuesFiles: [PRODUCTION_VALUES],
  };
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = render(production);
  });

  it('renders every kind a production needs, custom resources included', () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Service',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
      'StatefulSet',
    ]);
  });

  it('hands passwords and certificates to the pod as files of Secret volumes, never as values', () => {
    const main = container(manifests);
    const volumes = statefulSet(manifests).template.spec.volumes;
    expect(main.env.filter((v) => /PASSWORD$/.test(v.name))).toEqual([]);
    const fileVariables = main.env.filter((v) => /_(PASSWORD|CA|CERT|KEY)_FILE$/.test(v.name));
    expect(fileVariables.map((v) => v.name).sort()).toEqual([
      'SALDO_KAFKA_SASL_PASSWORD_FILE',
      'SALDO_KAFKA_TLS_CA_FILE',
      'SALDO_REDIS_PASSWORD_FILE',
      'SALDO_REDIS_TLS_CA_FILE',
      'SALDO_SCHEMA_REGISTRY_PASSWORD_FILE',
      'SALDO_SCHEMA_REGISTRY_TLS_CA_FILE',
    ]);
    for (const variable of fileVariables) {
      const path = variable.value ?? '';
      const mount = main.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
      const volume = volumes.find((v) => v.name === mount?.name);
      const files = volume?.projected?.sources.flatMap((source) =>
        source.secret.items.map((item) => item.path),
      );
      expect(files, variable.name).toContain(path.slice((mount?.mountPath.length ?? 0) + 1));
    }
    const kafkaPassword = volumes
      .flatMap((v) => v.projected?.sources ?? [])
      .find((source) => source.secret.items.some((item) => item.path === 'kafka-sasl-password'));
    expect(kafkaPassword?.secret).toEqual({
      name: 'saldo-kafka-user',
      items: [{ key: 'password', path: 'kafka-sasl-password' }],
    });
    expect(manifests.map((m) => m.kind)).not.toContain('Secret');
  });

  it('has a toolbox pod with the same configuration that no Service, budget or group counts as an instance', () => {
    const toolbox = only(manifests, 'Deployment', 'saldo-prod-toolbox').spec as {
      template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
    };
    const labels = toolbox.template.metadata.labels;
    const selectors = [
      ...manifests
        .filter((m) => m.kind === 'Service')
        .map((m) => (m.spec as { selector: Record<string, string> }).selector),
      (only(manifests, 'PodDisruptionBudget').spec as { selector: { matchLabels: Record<string, string> } })
        .selector.matchLabels,
      statefulSet(manifests).selector.matchLabels,
    ];
    expect(selectors.filter((selector) => matches(selector, labels))).toEqual([]);
    const tool = toolbox.template.spec.containers[0] as Container;
    expect(tool.command).toEqual(['sleep', 'infinity']);
    const names = (c: Container) => c.env.map((v) => v.name);
    expect(names(tool)).not.toContain('SALDO_APPLICATION_SERVER');
    expect(names(container(manifests)).filter((name) => !names(tool).includes(name))).toEqual([
      'SALDO_APPLICATION_SERVER',
      'SALDO_OPS_PORT',
    ]);
    expect(tool.volumeMounts).toEqual(container(manifests).volumeMounts);
  });

  it('alerts with every rule of prometheus-rules.yaml, narrowed to its application and namespace', () => {
    const rule = only(manifests, 'PrometheusRule');
    const groups = (
      rule.spec as { groups: { rules: { alert: string; expr: string; labels: Record<string, string> }[] }[] }
    ).groups;
    const alerts = groups.flatMap((group) => group.rules);
    expect(alerts.map((a) => a.alert)).toEqual(fileAlerts.map((a) => a.alert));
    for (const alert of alerts) {
      expect(alert.expr, alert.alert).not.toContain('!=""');
      expect(alert.labels.team, alert.alert).toBe('payments');
      expect(alert.labels.severity, alert.alert).toMatch(/^(warning|critical)$/);
    }
    expect(alerts.find((a) => a.alert === 'SaldoDeadLetters')?.expr).toContain(
      'saldo_dead_letters_total{app="saldo-prod",namespace="payments"}',
    );
    expect(alerts.find((a) => a.alert === 'SaldoInstanceDown')?.expr).toBe(
      'up{job="saldo-prod-headless",namespace="payments"} == 0',
    );
    expect(rule.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('scrapes the ops port of every pod through the headless Service only', () => {
    const monitor = only(manifests, 'ServiceMonitor').spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    const selected = manifests.filter(
      (m) => m.kind === 'Service' && matches(monitor.selector.matchLabels, m.metadata.labels),
    );
    expect(selected.map((s) => s.metadata.name)).toEqual([statefulSet(manifests).serviceName]);
    expect(monitor.endpoints).toEqual([expect.objectContaining({ port: 'http-ops', path: '/metrics' })]);
  });

  it('ships every dashboard of dashboards/ in a ConfigMap the Grafana sidecar loads', () => {
    const configMap = only(manifests, 'ConfigMap', 'saldo-prod-dashboards');
    expect(configMap.metadata.labels?.grafana_dashboard).toBe('1');
    expect(configMap.metadata.namespace).toBe('monitoring');
    const files = readdirSync(join(CHART_DIR, 'dashboards')).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    expect(Object.keys(configMap.data ?? {}).sort()).toEqual(files.sort());
    for (const file of files) {
      expect((JSON.parse(configMap.data?.[file] ?? '') as { title?: string }).title, file).toBeTruthy();
    }
  });

  it('rolls the pods when an inline rule set or a password given as a value changes', () => {
    const checksum = (set: string[]) =>
      (
        statefulSet(render({ set })).template as unknown as {
          metadata: { annotations: Record<string, string> };
        }
      ).metadata.annotations;
    const before = checksum(['redis.password.value=one', 'fraudRules.inline.version=a']);
    const after = checksum(['redis.password.value=two', 'fraudRules.inline.version=b']);
    expect(after['checksum/credentials']).not.toBe(before['checksum/credentials']);
    expect(after['checksum/rules']).not.toBe(before['checksum/rules']);
  });
});

describe.each(CHECKED_VALUES)('the chart with its $name', ({ options }) => {
  it('passes helm lint --strict', () => {
    const lint = lintChart(tools, options);
    expect(lint.stdout + lint.stderr).toContain('0 chart(s) failed');
    expect(lint.status).toBe(0);
  });

  it.each(KUBERNETES_VERSIONS)(
    'renders manifests valid for Kubernetes %s (kubeconform -strict)',
    (version) => {
      const result = renderChart(tools, { ...options, kubeVersion: version });
      expect(result.status).toBe(0);
      const validation = validateManifests(tools, result.stdout, version);
      expect(validation.resources.filter((r) => r.status !== 'statusValid')).toEqual([]);
      expect(validation.summary.valid).toBeGreaterThanOrEqual(5);
    },
  );
});

describe('the manifests of trial values', () => {
  let manifests: Manifest[];
  beforeAll(() => {
    manifests = render({ release: 'trial', namespace: 'trial', valuesFiles: [TRIAL_VALUES] });
  });

  it('mounts an inline rule set that saldo accepts, where SALDO_RULES says', () => {
    const configMap = only(manifests, 'ConfigMap', 'trial-saldo-rules');
    const ruleSet = parseRuleSet(JSON.parse(configMap.data?.['rules.json'] ?? ''), 'the rendered ConfigMap');
    expect(ruleSet.version).toBe('2026-12-07.trial');
    expect(ruleSet.watchedInflowMinor).toBe(2_000_000n);
    const env = podEnvironment(manifests, { name: 'trial-saldo-0', namespace: 'trial' });
    const mount = container(manifests).volumeMounts.find((m) => m.name === 'rules');
    expect(env.SALDO_RULES).toBe(`${mount?.mountPath ?? '?'}/rules.json`);
  });

  it('keeps passwords given as values in its own Secret, which the pod reads as files', () => {
    const secret = only(manifests, 'Secret', 'trial-saldo-credentials');
    const decoded = Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]),
    );
    expect(decoded).toEqual({
      'kafka-sasl-password': 'trial-password',
      'redis-password': 'trial-redis-password',
    });
    const credentials = statefulSet(manifests).template.spec.volumes.find((v) => v.name === 'credentials');
    expect(credentials?.projected?.sources.map((source) => source.secret)).toEqual([
      {
        name: 'trial-saldo-credentials',
        items: [{ key: 'kafka-sasl-password', path: 'kafka-sasl-password' }],
      },
      { name: 'trial-saldo-credentials', items: [{ key: 'redis-password', path: 'redis-password' }] },
    ]);
    expect(container(manifests).env.map((v) => v.name)).toEqual(
      expect.arrayContaining(['SALDO_KAFKA_TLS_CERT_FILE', 'SALDO_KAFKA_TLS_KEY_FILE']),
    );
  });

  it('keeps the state on an emptyDir without persistence', () => {
    const spec = statefulSet(manifests) as StatefulSetSpec & { volumeClaimTemplates?: unknown };
    expect(spec.volumeClaimTemplates).toBeUndefined();
    expect(spec.template.spec.volumes.find((v) => v.name === 'state')).toEqual({
      name: 'state',
      emptyDir: {},
    });
  });
});

describe('values the chart refuses', () => {
  it.each([
    ['a misspelt top-level key', ['replicaCont=3'], "additional properties 'replicaCont' not allowed"],
    [
      'a misspelt nested key',
      ['saldo.comitIntervalMs=50'],
      "additional properties 'comitIntervalMs' not allowed",
    ],
    ['a number given as text', ['replicaCount=three'], 'want integer'],
    ['a broker without a port', ['kafka.brokers[0]=kafka'], 'does not match pattern'],
    ['an unknown processing guarantee', ['saldo.processingGuarantee=exactly-twice'], 'value must be one of'],
    ['an allocator the image does not have', ['saldo.allocator=tcmalloc'], 'value must be one of'],
  ])('%s: values.schema.json (helm template and helm lint)', (_, set, message) => {
    const template = renderChart(tools, { set });
    expect(template.status).not.toBe(0);
    expect(template.stderr).toContain(message);
    const lint = lintChart(tools, { set });
    expect(lint.status).not.toBe(0);
    expect(lint.stdout + lint.stderr).toContain(message);
  });

  // Checks between values live in the templates (fail): helm lint only reports those as info.
  it.each([
    [
      'a grace period shorter than a commit',
      ['saldo.commitIntervalMs=60000', 'terminationGracePeriodSeconds=60'],
      'terminationGracePeriodSeconds (60) must be at least the commit interval (60 s) + 30 s',
    ],
    ['SASL without a user', ['kafka.securityProtocol=SASL_SSL'], 'needs kafka.sasl.username'],
    [
      'a password both named and given',
      ['redis.password.existingSecret=redis', 'redis.password.value=secret'],
      'redis.password: set existingSecret or value, not both',
    ],
  ])('%s: helm template', (_, set, message) => {
    const template = renderChart(tools, { set });
    expect(template.status).not.toBe(0);
    expect(template.stderr).toContain(message);
  });

  it('rejects a values file with a typo (helm template -f)', () => {
    const result = renderChart(tools, {
      valuesFiles: [join(REPO_ROOT, 'test', 'unit', 'helm', 'typo-values.yaml')],
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("at '/persistence': additional properties 'sise' not allowed");
  });
});

describe('kubeconform with the local schemas', () => {
  it('finds an unknown field in a Kubernetes kind', () => {
    const manifests = renderChart(tools).stdout.replace(
      'terminationGracePeriodSeconds: 60',
      'terminationGracePeriodSecond: 60',
    );
    const validation = validateManifests(tools, manifests, '1.37.0');
    const invalid = validation.resources.filter((r) => r.status === 'statusInvalid');
    expect(invalid.map((r) => r.kind)).toEqual(['StatefulSet']);
    expect(invalid[0]?.msg).toContain("additional properties 'terminationGracePeriodSecond' not allowed");
  });

  it('finds an unknown field and a bad duration in the custom resources', () => {
    const manifests = renderChart(tools, { valuesFiles: [PRODUCTION_VALUES] })
      .stdout.replace('      interval: 15s', '      intervall: 15s')
      .replace('for: 10m', 'for: ten minutes');
    const invalid = validateManifests(tools, manifests, '1.37.0').resources.filter(
      (r) => r.status !== 'statusValid',
    );
    expect(invalid.map((r) => r.kind).sort()).toEqual(['PrometheusRule', 'ServiceMonitor']);
  });
});

describe('prometheus-rules.yaml', () => {
  it('is a valid rule file: PromQL and annotation templates (promtool check rules)', () => {
    const check = checkAlertRules(tools);
    expect(check.stdout + check.stderr).toContain(`SUCCESS: ${String(fileAlerts.length)} rules found`);
    expect(check.status).toBe(0);
  });

  it('fires each alert on the series that should raise it, and on no others (promtool test rules)', () => {
    const tests = parse(readFileSync(ALERT_RULE_TESTS, 'utf8')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const fired = tests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0));
    expect(new Set(fired.map((a) => a.alertname))).toEqual(new Set(fileAlerts.map((a) => a.alert)));
    const result = testAlertRules(tools);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('reports an expectation the rules do not meet (so that the test above can fail)', () => {
    // Lag below the threshold where the tests expect an alert: promtool must say so.
    const broken = join(mkdtempSync(join(tmpdir(), 'saldo-broken-tests-')), 'tests.yaml');
    writeFileSync(
      broken,
      readFileSync(ALERT_RULE_TESTS, 'utf8').replaceAll('values: 200000x30', 'values: 90000x30'),
    );
    const result = testAlertRules(tools, broken);
    expect(result.status).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('alertname: SaldoConsumerLagHigh');
  });

  it('uses only the metrics saldo exports (and up), each selector narrowed by the chart', () => {
    for (const rule of fileAlerts) {
      const metrics = [...rule.expr.matchAll(/\b(saldo_[a-z_]+|up)\s*\{([^}]*)\}/g)];
      expect(metrics.length, rule.alert).toBeGreaterThan(0);
      for (const [, metric, selector] of metrics) {
        if (metric === 'up') expect(selector, rule.alert).toContain('job!=""');
        else {
          expect(CONTRACT_METRICS.has(metric ?? ''), `${rule.alert}: ${metric ?? ''}`).toBe(true);
          expect(selector, rule.alert).toContain('app!=""');
        }
      }
      // No metric without a selector: the chart could not narrow it to its application.
      expect(rule.expr.replace(/\b(saldo_[a-z_]+|up)\s*\{[^}]*\}/g, ''), rule.alert).not.toMatch(
        /\bsaldo_[a-z_]+/,
      );
    }
  });

  it('is what values.schema.json lets metrics.prometheusRule.disabledAlerts name', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as {
      properties: {
        metrics: {
          properties: { prometheusRule: { properties: { disabledAlerts: { items: { enum: string[] } } } } };
        };
      };
    };
    const names = schema.properties.metrics.properties.prometheusRule.properties.disabledAlerts.items.enum;
    expect([...names].sort()).toEqual(fileAlerts.map((a) => a.alert).sort());
  });

  it('leaves out the alerts the values disable', () => {
    const manifests = render({
      set: [
        'metrics.prometheusRule.enabled=true',
        'metrics.prometheusRule.disabledAlerts[0]=SaldoDeadLetters',
      ],
    });
    const rule = only(manifests, 'PrometheusRule').spec as { groups: { rules: { alert: string }[] }[] };
    const alerts = rule.groups.flatMap((group) => group.rules.map((r) => r.alert));
    expect(alerts).toHaveLength(fileAlerts.length - 1);
    expect(alerts).not.toContain('SaldoDeadLetters');
  });
});

describe('the image', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');

  it('starts what the chart starts, and holds the files the build reads beside dist/', () => {
    const entrypoint = JSON.parse(/^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const cmd = JSON.parse(/^CMD (.*)$/m.exec(dockerfile)?.[1] ?? '[]') as string[];
    const manifests = render();
    expect([...entrypoint, ...cmd]).toEqual(container(manifests).command);
    expect(dockerfile).toMatch(/^COPY schemas\/\*\.avsc schemas\/$/m);
    expect(dockerfile).toMatch(/^COPY topologies\/fraud\/default-rules\.json /m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('preloads jemalloc from a path saldo knows, unless the chart asks for glibc', () => {
    const preload = /^ENV LD_PRELOAD=(\S+)$/m.exec(dockerfile)?.[1];
    expect(JEMALLOC_LIBRARY_PATHS).toContain(preload);
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends libjemalloc2/);
    expect(dockerfile).toContain(
      `ln -s "$(find /usr/lib -name libjemalloc.so.2 | head -n 1)" ${preload ?? '?'}`,
    );
    // The default keeps the image's LD_PRELOAD; glibc empties it and keeps MALLOC_ARENA_MAX.
    const byDefault = podEnvironment(render(), { name: 'saldo-0', namespace: 'saldo' });
    expect(byDefault.LD_PRELOAD).toBeUndefined();
    const glibc = podEnvironment(render({ set: ['saldo.allocator=glibc'] }), {
      name: 'saldo-0',
      namespace: 'saldo',
    });
    expect(glibc.LD_PRELOAD).toBe('');
    expect(glibc.MALLOC_ARENA_MAX).toBe('2');
  });
});
