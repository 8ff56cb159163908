import type avsc from 'avsc';
import { SerdeError } from '../state/index.ts';
import type { RecordSerde, SerdeContext } from '../processor/serde.ts';
import { parseAvroSchema } from './avro-types.ts';

export interface AvroSchemaDefinition {
  type: 'record';
  name: string;
  namespace?: string;
  fields: unknown[];
  doc?: string;
}

/**
 * What Avro serdes need of a schema registry (a port: the Confluent-compatible HTTP registry is
 * one adapter, an in-memory registry for tests another).
 */
export interface AvroSchemaRegistry {
  /** Registers the schema under the subject (compatibility BACKWARD); resolves to its id. */
  register(subject: string, schema: AvroSchemaDefinition): Promise<number>;
  /** The schema registered under this id, parsed as saldo parses Avro (avroParseOptions). */
  typeOf(id: number): Promise<avsc.Type>;
}

// Confluent wire format: magic byte 0, the schema id as int32 BE, then the Avro binary body.
const MAGIC = 0;
const HEADER_BYTES = 5;
const INITIAL_SCRATCH_BYTES = 16 * 1024;

/**
 * Avro through the schema registry, Confluent wire format, topic-name subject strategy
 * (`<topic>-key` / `<topic>-value`). Writing registers the schema once per subject and uses the id
 * the registry gives; reading decodes with the writer's schema, fetched by id once, so data written
 * with any registered version stays readable. Both are synchronous once the subject's id or the
 * writer's schema is known (only the first record of each waits on the registry): a promise per
 * record would cost every record a turn of the event loop.
 */
export function avroSerde<T>(registry: AvroSchemaRegistry, schema: AvroSchemaDefinition): RecordSerde<T> {
  const name = `avro(${schema.namespace ? `${schema.namespace}.` : ''}${schema.name})`;
  const writer = parseAvroSchema(JSON.stringify(schema));
  // Subject → the id the registry gave; schema id → the writer's schema.
  const ids = new ResolvedOnce<string, number>((subject) => registry.register(subject, schema));
  const types = new ResolvedOnce<number, avsc.Type>((id) =>
    registry.typeOf(id).catch((error: unknown) => {
      throw new SerdeError(name, `cannot fetch schema ${id} from the registry: ${messageOf(error)}`);
    }),
  );
  let scratch = Buffer.allocUnsafe(INITIAL_SCRATCH_BYTES);

  // avsc's writer checks each value against its field's type as it writes (an int, a string, a
  // union's branch…) and throws on the first that does not fit: that is the validation, without a
  // walk of the whole value before it (isValid), which cost two thirds of an encoding.
  const write = (value: T): number => {
    try {
      return writer.encode(value, scratch, HEADER_BYTES);
    } catch {
      throw invalidValue(writer, value, name);
    }
  };

  const encode = (id: number, value: T): Buffer => {
    let end = write(value);
    if (end < 0) {
      // A negative end says how many bytes were missing.
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      end = write(value);
    }
    if (end < 0) throw invalidValue(writer, value, name);
    const bytes = Buffer.allocUnsafe(end);
    scratch.copy(bytes, HEADER_BYTES, HEADER_BYTES, end);
    bytes[0] = MAGIC;
    bytes.writeInt32BE(id, 1);
    return bytes;
  };

  const decode = (type: avsc.Type, bytes: Buffer, id: number): T => {
    try {
      return type.fromBuffer(bytes.subarray(HEADER_BYTES)) as T;
    } catch (error) {
      throw new SerdeError(name, `cannot decode a record written with schema ${id}: ${messageOf(error)}`);
    }
  };

  return {
    name,
    serialize(value: T, ctx: SerdeContext): Buffer | Promise<Buffer> {
      const subject = `${ctx.topic}-${ctx.part}`;
      const id = ids.known(subject);
      if (id !== undefined) return encode(id, value);
      // Refused before it registers anything: the first value of a subject is checked up front.
      if (!writer.isValid(value)) throw invalidValue(writer, value, name);
      return ids.resolve(subject).then((registered) => encode(registered, value));
    },
    deserialize(bytes: Buffer): T | Promise<T> {
      if (bytes.length < HEADER_BYTES || bytes[0] !== MAGIC) {
        throw new SerdeError(
          name,
          `not the Confluent wire format (${bytes.length} bytes, first byte ${bytes[0]})`,
        );
      }
      const id = bytes.readInt32BE(1);
      const type = types.known(id);
      if (type !== undefined) return decode(type, bytes, id);
      return types.resolve(id).then((fetched) => decode(fetched, bytes, id));
    },
  };
}

/**
 * Values looked up once per key (schema ids, writer schemas): `known` answers synchronously once a
 * lookup has succeeded; lookups of one key under way are shared; a failed one is not remembered,
 * so the next record tries again.
 */
class ResolvedOnce<K, V> {
  readonly #values = new Map<K, V>();
  readonly #pending = new Map<K, Promise<V>>();
  readonly #lookup: (key: K) => Promise<V>;

  constructor(lookup: (key: K) => Promise<V>) {
    this.#lookup = lookup;
  }

  known(key: K): V | undefined {
    return this.#values.get(key);
  }

  resolve(key: K): Promise<V> {
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#lookup(key).then(
        (value) => {
          this.#values.set(key, value);
          this.#pending.delete(key);
          return value;
        },
        (error: unknown) => {
          this.#pending.delete(key);
          throw error;
        },
      );
      this.#pending.set(key, pending);
    }
    return pending;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Names the paths at which a value does not fit the schema. */
function invalidValue(type: avsc.Type, value: unknown, name: string): SerdeError {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(value)') });
  return new SerdeError(name, `value does not fit the schema at ${paths.join(', ') || '(unknown)'}`);
}
