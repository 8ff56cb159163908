// The chart check, without a cluster and without the network: helm lint, helm template with the
// default values and with production-like ones (helm/saldo/ci/production-values.yaml), and
// kubeconform -strict on what helm rendered, against local schemas of Kubernetes' kinds and of the
// CustomResourceDefinitions the chart uses (ServiceMonitor, PrometheusRule).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { HelmCheckError } from './errors.ts';
import { CHART_DIR, KUBERNETES_VERSIONS, REPO_ROOT, run, type HelmTools, type RunResult } from './tools.ts';

export const PRODUCTION_VALUES = join(CHART_DIR, 'ci', 'production-values.yaml');
export const TRIAL_VALUES = join(CHART_DIR, 'ci', 'trial-values.yaml');
export const ALERT_RULES = join(CHART_DIR, 'prometheus-rules.yaml');
/** promtool's unit tests of the alert rules; they read `rules.yaml` beside them (alertRuleTests). */
export const ALERT_RULE_TESTS = join(REPO_ROOT, 'test', 'unit', 'helm', 'prometheus-rules.promtool.yaml');

export interface RenderOptions {
  release?: string;
  namespace?: string;
  valuesFiles?: string[];
  /** `--set` assignments (key=value). */
  set?: string[];
  kubeVersion?: string;
}

function valuesArgs(options: RenderOptions): string[] {
  return [
    ...(options.valuesFiles ?? []).flatMap((file) => ['--values', file]),
    ...(options.set ?? []).flatMap((assignment) => ['--set', assignment]),
  ];
}

/** `helm template`: the manifests on stdout, or why not (status ≠ 0, stderr). */
export function renderChart(tools: HelmTools, options: RenderOptions = {}): RunResult {
  return run(tools.helm, [
    'template',
    options.release ?? 'saldo',
    CHART_DIR,
    '--namespace',
    options.namespace ?? 'saldo',
    ...(options.kubeVersion === undefined ? [] : ['--kube-version', options.kubeVersion]),
    ...valuesArgs(options),
  ]);
}

/** `helm lint --strict` (warnings fail too). */
export function lintChart(tools: HelmTools, options: RenderOptions = {}): RunResult {
  return run(tools.helm, ['lint', '--strict', CHART_DIR, ...valuesArgs(options)]);
}

export interface ValidatedResource {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
}

export interface Validation {
  resources: ValidatedResource[];
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

/**
 * kubeconform -strict on manifests (a multi-document YAML), for one Kubernetes version. A kind
 * without a local schema is an error, never skipped.
 */
export function validateManifests(
  tools: HelmTools,
  manifests: string,
  kubernetesVersion: string,
): Validation {
  const result = run(
    tools.kubeconform,
    [
      '-strict',
      '-summary',
      '-verbose',
      '-output',
      'json',
      '-kubernetes-version',
      kubernetesVersion,
      ...tools.schemaLocations.flatMap((location) => ['-schema-location', location]),
    ],
    { input: manifests },
  );
  try {
    return JSON.parse(result.stdout) as Validation;
  } catch {
    throw new HelmCheckError('kubeconform printed no JSON report', {
      command: 'kubeconform',
      output: `${result.stdout}${result.stderr}`,
    });
  }
}

/** `promtool check rules`: the rule file's PromQL and annotation templates. */
export function checkAlertRules(tools: HelmTools): RunResult {
  return run(tools.promtool, ['check', 'rules', ALERT_RULES]);
}

interface RuleFile {
  groups: { rules: { annotations?: unknown }[] }[];
}

/**
 * `promtool test rules` on the alert rules' unit tests, given the rules without their annotations:
 * the tests then compare labels only, and a reworded description breaks none.
 */
export function testAlertRules(tools: HelmTools, tests = ALERT_RULE_TESTS): RunResult {
  const rules = parse(readFileSync(ALERT_RULES, 'utf8')) as RuleFile;
  for (const rule of rules.groups.flatMap((group) => group.rules)) delete rule.annotations;
  const dir = mkdtempSync(join(tmpdir(), 'saldo-alert-rules-'));
  try {
    writeFileSync(join(dir, 'rules.yaml'), stringify(rules));
    writeFileSync(join(dir, 'tests.yaml'), readFileSync(tests, 'utf8'));
    return run(tools.promtool, ['test', 'rules', 'tests.yaml'], { cwd: dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problems(validation: Validation): string[] {
  return validation.resources
    .filter((resource) => resource.status !== 'statusValid')
    .map((resource) => `${resource.kind} ${resource.name}: ${resource.status} ${resource.msg}`);
}

/** The values the check renders: the defaults, production-like ones, and a trial's. */
export const CHECKED_VALUES: readonly { name: string; options: RenderOptions }[] = [
  { name: 'default values', options: {} },
  {
    name: 'production-like values',
    options: { release: 'saldo-prod', namespace: 'payments', valuesFiles: [PRODUCTION_VALUES] },
  },
  { name: 'trial values', options: { release: 'trial', namespace: 'trial', valuesFiles: [TRIAL_VALUES] } },
];

export interface CheckedCase {
  name: string;
  kubernetesVersion: string;
  kinds: string[];
  seconds: number;
}

/** The whole check; throws a HelmCheckError naming every problem, else returns what it checked. */
export function checkChart(tools: HelmTools, log: (line: string) => void): CheckedCase[] {
  for (const { name, options } of CHECKED_VALUES) {
    const lint = lintChart(tools, options);
    if (lint.status !== 0)
      throw new HelmCheckError(`helm lint failed with the ${name}`, { output: lint.stdout + lint.stderr });
    log(`helm-check: helm lint --strict, ${name}: ok`);
  }
  for (const [what, result] of [
    ['promtool check rules', checkAlertRules(tools)],
    ['promtool test rules', testAlertRules(tools)],
  ] as const) {
    if (result.status !== 0)
      throw new HelmCheckError(`${what} failed`, { output: result.stdout + result.stderr });
    log(`helm-check: ${what} (${ALERT_RULES.slice(REPO_ROOT.length + 1)}): ok`);
  }
  const checked: CheckedCase[] = [];
  for (const kubernetesVersion of KUBERNETES_VERSIONS) {
    for (const { name, options } of CHECKED_VALUES) {
      const began = Date.now();
      const render = renderChart(tools, { ...options, kubeVersion: kubernetesVersion });
      if (render.status !== 0)
        throw new HelmCheckError(`helm template failed with the ${name}`, { output: render.stderr });
      const validation = validateManifests(tools, render.stdout, kubernetesVersion);
      const found = problems(validation);
      if (found.length > 0 || validation.resources.length === 0) {
        throw new HelmCheckError(
          `kubeconform: the ${name} render is not valid for Kubernetes ${kubernetesVersion}`,
          { output: found.length > 0 ? found.join('\n') : 'no resources rendered' },
        );
      }
      const kinds = [...new Set(validation.resources.map((resource) => resource.kind))].sort();
      const seconds = (Date.now() - began) / 1000;
      checked.push({ name, kubernetesVersion, kinds, seconds });
      log(
        `helm-check: ${name}, Kubernetes ${kubernetesVersion}: ${String(validation.summary.valid)} resources valid (${kinds.join(', ')}) in ${seconds.toFixed(1)} s`,
      );
    }
  }
  return checked;
}
