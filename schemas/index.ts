/** Schemas and the serdes that use them through the schema registry. */
export { avroSerde, type AvroSchemaDefinition } from './avro-serde.ts';
export { bigintLongType } from './bigint-long.ts';
export { createSchemaRegistry, registryClientArgs, type RegistryClientArgs } from './registry.ts';
