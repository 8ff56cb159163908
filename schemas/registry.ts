import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { bigintLongType } from './bigint-long.ts';

/** A client of the Confluent-compatible schema registry whose Avro longs are bigints. */
export function createSchemaRegistry(url: string): SchemaRegistry {
  const avroOptions = {
    // avsc records every named type it parses into this registry object, so each parse needs a
    // fresh one (a shared one fails with "duplicate type name" on the second schema); the client
    // spreads these options per parse, which calls the getter each time.
    get registry() {
      return { long: bigintLongType };
    },
  };
  return new SchemaRegistry({ host: url }, { [SchemaType.AVRO]: avroOptions });
}
