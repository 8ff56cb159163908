import avsc from 'avsc';
import { bigintLongType } from './bigint-long.ts';

/**
 * Avro `long` with `logicalType: timestamp-millis` as a JavaScript number of ms: event times are
 * compared and subtracted everywhere, and ms since 1970 stay exact in a double for 285,000 years.
 * Its underlying long is avsc's own (numbers, refusing unsafe integers), not the bigint long of
 * money: avsc builds a logical type's underlying type from the schema object, without the registry.
 */
class TimestampMillisType extends avsc.types.LogicalType {
  override _fromValue(value: unknown): number {
    return value as number;
  }
  override _toValue(value: unknown): number | undefined {
    if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
    if (value instanceof Date) return value.getTime();
    return undefined; // not valid: avsc reports the path
  }
  override _resolve(type: avsc.Type): ((value: unknown) => unknown) | undefined {
    if (avsc.Type.isType(type, 'long', 'logical:timestamp-millis')) return (value) => value;
    return undefined;
  }
}

/**
 * How saldo parses every Avro schema, its own and the writers' it reads: longs as bigint (money is
 * exact), timestamp-millis as numbers. A getter: avsc records every named type it parses into
 * `registry`, so each parse needs a fresh one (a shared one fails with "duplicate type name").
 */
export function avroParseOptions(): Partial<avsc.ForSchemaOptions> {
  return {
    registry: { long: bigintLongType },
    logicalTypes: { 'timestamp-millis': TimestampMillisType },
  };
}

/** Parses a schema (a definition or its JSON text) the way saldo reads and writes Avro. */
export function parseAvroSchema(schema: avsc.Schema | string): avsc.Type {
  return avsc.Type.forSchema(
    typeof schema === 'string' ? (JSON.parse(schema) as avsc.Schema) : schema,
    avroParseOptions(),
  );
}
