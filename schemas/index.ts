/** Schemas and the serdes that use them through the schema registry. */
export { avroSerde, type AvroSchemaDefinition, type AvroSchemaRegistry } from './avro-serde.ts';
export { avroParseOptions, parseAvroSchema } from './avro-types.ts';
export { bigintLongType } from './bigint-long.ts';
export { IncompatibleSchemaError, InMemoryAvroRegistry } from './in-memory-registry.ts';
export {
  ConfluentAvroRegistry,
  createSchemaRegistry,
  registryAccessFailure,
  registryClientArgs,
  type RegistryClientArgs,
  type RegistrySecurity,
} from './registry.ts';
export {
  BALANCE_SNAPSHOT_SCHEMA,
  TRANSACTION_SCHEMA,
  productSerdes,
  registerProductSchemas,
} from './product-schemas.ts';
