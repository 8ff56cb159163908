// JSON schemas for custom resources, from the CustomResourceDefinitions controller-gen writes: each
// served version's openAPIV3Schema, turned into the JSON Schema kubeconform validates with, and
// strict as the API server is (an unknown field is an error unless the schema keeps unknown fields).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { HelmCheckError } from './errors.ts';

type Schema = { [key: string]: unknown };

interface CustomResourceDefinition {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema?: Schema } }[];
  };
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** OpenAPI v3 (with Kubernetes' extensions) to JSON Schema, recursively. */
export function toJsonSchema(openApi: Schema): Schema {
  const schema: Schema = {};
  for (const [key, value] of Object.entries(openApi)) {
    if (key.startsWith('x-kubernetes-') || key === 'nullable') continue;
    if (key === 'properties' && isSchema(value)) {
      schema.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [
          name,
          isSchema(property) ? toJsonSchema(property) : property,
        ]),
      );
    } else if ((key === 'items' || key === 'additionalProperties' || key === 'not') && isSchema(value)) {
      schema[key] = toJsonSchema(value);
    } else if ((key === 'anyOf' || key === 'allOf' || key === 'oneOf') && Array.isArray(value)) {
      schema[key] = value.map((item: unknown) => (isSchema(item) ? toJsonSchema(item) : item));
    } else {
      schema[key] = value;
    }
  }
  if (openApi['x-kubernetes-int-or-string'] === true) {
    delete schema.type;
    schema.anyOf ??= [{ type: 'integer' }, { type: 'string' }];
  }
  if (openApi.nullable === true && typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  const keepsUnknownFields = openApi['x-kubernetes-preserve-unknown-fields'] === true;
  if (schema.properties !== undefined && schema.additionalProperties === undefined && !keepsUnknownFields) {
    schema.additionalProperties = false;
  }
  return schema;
}

/**
 * Writes `<target>/<group>/<kind>_<version>.json` (lower-case kind) for every served version of the
 * named kinds found in `crdDir`: the layout of kubeconform's schema-location template
 * `{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`.
 */
export function writeCrdSchemas(crdDir: string, target: string, kinds: readonly string[]): void {
  const found = new Set<string>();
  for (const file of readdirSync(crdDir).filter((name) => name.endsWith('.yaml'))) {
    for (const document of parseAllDocuments(readFileSync(join(crdDir, file), 'utf8'))) {
      const crd = document.toJS() as CustomResourceDefinition | null;
      if (crd === null || !kinds.includes(crd.spec.names.kind)) continue;
      const { group, names } = crd.spec;
      for (const version of crd.spec.versions.filter((v) => v.served)) {
        const openApi = version.schema?.openAPIV3Schema;
        if (openApi === undefined)
          throw new HelmCheckError(`${file}: ${names.kind} ${version.name} has no schema`);
        const schema = toJsonSchema(openApi);
        const properties = (schema.properties ?? {}) as Schema;
        properties.apiVersion = { type: 'string', enum: [`${group}/${version.name}`] };
        properties.kind = { type: 'string', enum: [names.kind] };
        schema.properties = properties;
        schema.required = [
          ...new Set([...((schema.required as string[] | undefined) ?? []), 'apiVersion', 'kind']),
        ];
        mkdirSync(join(target, group), { recursive: true });
        writeFileSync(
          join(target, group, `${names.kind.toLowerCase()}_${version.name}.json`),
          JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }),
        );
      }
      found.add(names.kind);
    }
  }
  const missing = kinds.filter((kind) => !found.has(kind));
  if (missing.length > 0) {
    throw new HelmCheckError(
      `controller-gen wrote no CustomResourceDefinition for ${missing.join(', ')} (in ${crdDir})`,
    );
  }
}
