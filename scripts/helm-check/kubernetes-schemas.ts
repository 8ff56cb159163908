// Kubernetes' JSON schemas (from the PyPI package kubernetes-validate) made usable by kubeconform
// offline. The package's "local-strict" schemas name their shared definitions by an absolute URL
// (`$id` https://kubernetes.io/api/…, `$ref` /api/_definitions.json#…), which a validator would
// fetch from kubernetes.io; rewritten as a reference to the file beside them, they resolve locally.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HelmCheckError } from './errors.ts';

const DEFINITIONS_REF = '"/api/_definitions.json#';

/**
 * Writes `<target>/v<version>-standalone-strict/<kind>-<group>-<version>.json` for each Kubernetes
 * version: the file layout kubeconform's schema-location template
 * `{{.NormalizedKubernetesVersion}}-standalone{{.StrictSuffix}}/{{.ResourceKind}}{{.KindSuffix}}.json`
 * expects.
 */
export function writeKubernetesSchemas(source: string, target: string, versions: readonly string[]): void {
  for (const version of versions) {
    const from = join(source, `v${version}-local-strict`);
    const to = join(target, `v${version}-standalone-strict`);
    let files: string[];
    try {
      files = readdirSync(from).filter((file) => file.endsWith('.json'));
    } catch {
      throw new HelmCheckError(`kubernetes-validate has no schemas for Kubernetes ${version} (${from})`);
    }
    mkdirSync(to, { recursive: true });
    for (const file of files) {
      const schema = JSON.parse(
        readFileSync(join(from, file), 'utf8').replaceAll(DEFINITIONS_REF, '"_definitions.json#'),
      ) as Record<string, unknown>;
      // Without an $id, references resolve against the file's own location.
      delete schema.$id;
      writeFileSync(join(to, file), JSON.stringify(schema));
    }
  }
}
