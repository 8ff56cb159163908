/** Schemas and the serdes that use them through the schema registry. */
export { avroSerde, type AvroSchemaDefinition } from './avro-serde.ts';
export { bigintLongType } from './bigint-long.ts';
export {
  createSchemaRegistry,
  registryClientArgs,
  REGISTRY_REQUEST_TIMEOUT_MS,
  type RegistryClientArgs,
} from './registry.ts';
