// The chart check's tools, installed once into .tools/ (git-ignored) from the Go module proxy and
// PyPI; the check itself then runs on local files only. Each tool has a stamp file with the version
// it was installed at: a change of version here reinstalls it, anything else is kept.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeCrdSchemas } from './crd-schemas.ts';
import { HelmCheckError } from './errors.ts';
import { writeKubernetesSchemas } from './kubernetes-schemas.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const TOOLS_DIR = join(REPO_ROOT, '.tools');
export const CHART_DIR = join(REPO_ROOT, 'helm', 'saldo');

/** Go tools, each `go install`ed at this version into .tools/bin. */
const GO_TOOLS = {
  helm: 'helm.sh/helm/v4/cmd/helm@v4.3.2',
  kubeconform: 'github.com/yannh/kubeconform/cmd/kubeconform@v0.8.0',
  'controller-gen': 'sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0',
  // Checks the alert rules and runs their unit tests (Prometheus 3.16's promtool).
  promtool: 'github.com/prometheus/prometheus/cmd/promtool@v0.316.0',
} as const;

/** Kubernetes' JSON schemas, as the PyPI package kubernetes-validate bundles them. */
const KUBERNETES_VALIDATE = 'kubernetes-validate==1.37.0';

/**
 * The Kubernetes versions the chart is validated for: the oldest it supports (Chart.yaml's
 * kubeVersion) and the newest the schemas know.
 */
export const KUBERNETES_VERSIONS = ['1.29.0', '1.37.0'] as const;

/** The Go module (scripts/helm-check/crd-types) whose CRDs controller-gen generates. */
const CRD_TYPES_MODULE = join(REPO_ROOT, 'scripts', 'helm-check', 'crd-types');
const CRD_PACKAGE = 'github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1';
/** The custom resources the chart renders; their schemas are generated, the others left out. */
const CRD_KINDS = ['ServiceMonitor', 'PrometheusRule'];

export interface HelmTools {
  helm: string;
  kubeconform: string;
  promtool: string;
  /** kubeconform -schema-location templates: Kubernetes' own kinds first, then the CRDs. */
  schemaLocations: string[];
}

const BIN_DIR = join(TOOLS_DIR, 'bin');
const STAMP_DIR = join(TOOLS_DIR, 'stamps');
const KUBERNETES_SCHEMA_DIR = join(TOOLS_DIR, 'schemas', 'kubernetes');
const CRD_SCHEMA_DIR = join(TOOLS_DIR, 'schemas', 'crds');

function installed(name: string, version: string, output: string): boolean {
  const stamp = join(STAMP_DIR, name);
  return existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version;
}

function stamp(name: string, version: string): void {
  mkdirSync(STAMP_DIR, { recursive: true });
  writeFileSync(join(STAMP_DIR, name), `${version}\n`);
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin. */
  input?: string;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and returns its exit status and output. */
export function run(command: string, args: string[], options: RunOptions = {}): RunResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    encoding: 'utf8',
    ...(options.input === undefined ? {} : { input: options.input }),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new HelmCheckError(
      missing ? `${command} is not installed (on PATH)` : `${command} could not run: ${result.error.message}`,
      { command: [command, ...args].join(' ') },
    );
  }
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs an install step's command without blocking the event loop (a first `go install` of helm
 * takes minutes); rejects with its output when it fails.
 */
function install(command: string, args: string[], options: RunOptions = {}): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (error: NodeJS.ErrnoException) => {
      const what = error.code === 'ENOENT' ? 'is not installed (on PATH)' : `could not run: ${error.message}`;
      reject(new HelmCheckError(`${command} ${what}`, { command: [command, ...args].join(' ') }));
    });
    child.on('close', (code) => {
      if (code === 0) resolvePromise();
      else
        reject(
          new HelmCheckError(`${command} failed (exit ${String(code)})`, {
            command: [command, ...args].join(' '),
            output: output.trim(),
          }),
        );
    });
  });
}

async function timed(log: (line: string) => void, what: string, step: () => Promise<void>): Promise<void> {
  const began = Date.now();
  log(`helm-check: ${what}…`);
  await step();
  log(`helm-check: ${what} done in ${((Date.now() - began) / 1000).toFixed(1)} s`);
}

async function goInstall(name: keyof typeof GO_TOOLS, log: (line: string) => void): Promise<void> {
  const target = GO_TOOLS[name];
  const binary = join(BIN_DIR, name);
  if (installed(name, target, binary)) return;
  await timed(log, `go install ${target}`, async () => {
    mkdirSync(BIN_DIR, { recursive: true });
    // No VCS stamping: the module cache holds no repository to ask.
    await install('go', ['install', target], {
      env: { ...process.env, GOBIN: BIN_DIR, GOFLAGS: '-buildvcs=false' },
    });
  });
  stamp(name, target);
}

async function installKubernetesSchemas(log: (line: string) => void): Promise<void> {
  const versions = `${KUBERNETES_VALIDATE} ${KUBERNETES_VERSIONS.join(',')}`;
  if (installed('kubernetes-schemas', versions, KUBERNETES_SCHEMA_DIR)) return;
  const packageDir = join(TOOLS_DIR, 'kubernetes-validate');
  await timed(log, `pip install ${KUBERNETES_VALIDATE} (its schemas only)`, async () => {
    rmSync(packageDir, { recursive: true, force: true });
    await install('python3', [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--root-user-action=ignore',
      '--no-deps',
      '--target',
      packageDir,
      KUBERNETES_VALIDATE,
    ]);
    rmSync(KUBERNETES_SCHEMA_DIR, { recursive: true, force: true });
    writeKubernetesSchemas(
      join(packageDir, 'kubernetes_validate', 'kubernetes-json-schema'),
      KUBERNETES_SCHEMA_DIR,
      KUBERNETES_VERSIONS,
    );
    // 110 MB of schemas for every version; the check keeps the converted ones.
    rmSync(packageDir, { recursive: true, force: true });
  });
  stamp('kubernetes-schemas', versions);
}

async function installCrdSchemas(log: (line: string) => void): Promise<void> {
  const goMod = readFileSync(join(CRD_TYPES_MODULE, 'go.mod'), 'utf8');
  const version = `${GO_TOOLS['controller-gen']} ${/prometheus-operator\S* (v\S+)/.exec(goMod)?.[1] ?? '?'}`;
  if (installed('crd-schemas', version, CRD_SCHEMA_DIR)) return;
  const crdDir = join(TOOLS_DIR, 'crds');
  await timed(log, `controller-gen: the CRDs of ${CRD_KINDS.join(', ')}`, async () => {
    rmSync(crdDir, { recursive: true, force: true });
    await install(
      join(BIN_DIR, 'controller-gen'),
      ['crd:crdVersions=v1,maxDescLen=0', `paths=${CRD_PACKAGE}`, `output:crd:dir=${crdDir}`],
      { cwd: CRD_TYPES_MODULE, env: { ...process.env, GOFLAGS: '-buildvcs=false' } },
    );
    rmSync(CRD_SCHEMA_DIR, { recursive: true, force: true });
    writeCrdSchemas(crdDir, CRD_SCHEMA_DIR, CRD_KINDS);
    rmSync(crdDir, { recursive: true, force: true });
  });
  stamp('crd-schemas', version);
}

/**
 * Installs what is missing (minutes on a fresh machine: helm and promtool compile for most of them)
 * and returns where the tools are. Needs `go` and `python3` with pip.
 */
export async function ensureHelmTools(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<HelmTools> {
  await goInstall('helm', log);
  await goInstall('kubeconform', log);
  await goInstall('controller-gen', log);
  await goInstall('promtool', log);
  await installKubernetesSchemas(log);
  await installCrdSchemas(log);
  return {
    helm: join(BIN_DIR, 'helm'),
    kubeconform: join(BIN_DIR, 'kubeconform'),
    promtool: join(BIN_DIR, 'promtool'),
    schemaLocations: [
      join(
        KUBERNETES_SCHEMA_DIR,
        '{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}',
        '{{.ResourceKind}}{{.KindSuffix}}.json',
      ),
      join(CRD_SCHEMA_DIR, '{{.Group}}', '{{.ResourceKind}}_{{.ResourceAPIVersion}}.json'),
    ],
  };
}
