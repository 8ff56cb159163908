import type avsc from 'avsc';
import type { AvroSchemaDefinition, AvroSchemaRegistry } from './avro-serde.ts';
import { parseAvroSchema } from './avro-types.ts';

/** A subject's new schema cannot read what its latest schema wrote (BACKWARD compatibility). */
export class IncompatibleSchemaError extends Error {
  constructor(subject: string, cause: unknown) {
    super(`schema is not BACKWARD compatible with the latest of ${subject}`, { cause });
    this.name = 'IncompatibleSchemaError';
  }
}

/**
 * A schema registry in memory, for unit tests and tools that run without one: ids from 1, one
 * id per distinct schema, BACKWARD compatibility checked against the subject's latest schema with
 * avsc's resolution rules (the real registry's check is the one that counts).
 */
export class InMemoryAvroRegistry implements AvroSchemaRegistry {
  readonly #ids = new Map<string, number>();
  readonly #schemas = new Map<number, string>();
  readonly #subjects = new Map<string, number[]>();

  async register(subject: string, schema: AvroSchemaDefinition): Promise<number> {
    const text = JSON.stringify(schema);
    const versions = this.#subjects.get(subject) ?? [];
    const latest = versions.at(-1);
    if (latest !== undefined && this.#schemas.get(latest) !== text) {
      try {
        parseAvroSchema(text).createResolver(parseAvroSchema(this.#schemas.get(latest) as string));
      } catch (error) {
        throw new IncompatibleSchemaError(subject, error);
      }
    }
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#schemas.size + 1;
      this.#ids.set(text, id);
      this.#schemas.set(id, text);
    }
    if (!versions.includes(id)) this.#subjects.set(subject, [...versions, id]);
    return id;
  }

  async typeOf(id: number): Promise<avsc.Type> {
    const text = this.#schemas.get(id);
    if (text === undefined) throw new Error(`no schema with id ${id}`);
    return parseAvroSchema(text);
  }
}
