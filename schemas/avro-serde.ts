import { COMPATIBILITY, SchemaType, type SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { RecordSerde, SerdeContext } from '../processor/serde.ts';

export interface AvroSchemaDefinition {
  type: 'record';
  name: string;
  namespace?: string;
  fields: unknown[];
  doc?: string;
}

/**
 * Avro through the schema registry, Confluent wire format, topic-name subject strategy
 * (`<topic>-key` / `<topic>-value`). Writing registers the schema once per subject (BACKWARD
 * compatibility) and caches its id; reading decodes with the writer's schema fetched by id, so data
 * written with older versions stays readable.
 */
export function avroSerde<T>(registry: SchemaRegistry, schema: AvroSchemaDefinition): RecordSerde<T> {
  const ids = new Map<string, Promise<number>>();
  const idFor = (ctx: SerdeContext): Promise<number> => {
    const subject = `${ctx.topic}-${ctx.part}`;
    let id = ids.get(subject);
    if (!id) {
      id = registry
        .register(
          { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
          { subject, compatibility: COMPATIBILITY.BACKWARD },
        )
        .then((r) => r.id);
      // A failed registration is retried on the next record rather than cached.
      id.catch(() => ids.delete(subject));
      ids.set(subject, id);
    }
    return id;
  };
  return {
    name: `avro(${schema.namespace ? `${schema.namespace}.` : ''}${schema.name})`,
    async serialize(value: T, ctx: SerdeContext): Promise<Buffer> {
      return registry.encode(await idFor(ctx), value);
    },
    async deserialize(bytes: Buffer): Promise<T> {
      return (await registry.decode(bytes)) as T;
    },
  };
}
