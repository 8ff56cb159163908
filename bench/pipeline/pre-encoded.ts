// The latency phase's traffic, generated and Avro-encoded before the phase starts, then sent on its
// schedule: while it is sent, the bench's process only produces and watches. Generating and encoding
// 5,000 transactions a second took about 0.1 of the bench's 0.4-0.46 core, on the two cores that saldo,
// the broker and Redis share (BENCHMARKS.md, 2026-12-07).
import type { RecordSerde, SerdeContext } from '../../processor/index.ts';
import {
  runGenerator,
  silentProgress,
  type GeneratorRunOptions,
  type RunClock,
  type TransactionSink,
} from '../../cli/generate/index.ts';
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';

/** One send of the schedule: its records, due `atMs` after the phase starts. */
export interface PacedBatch {
  readonly atMs: number;
  readonly records: readonly TransactionRecord[];
}

/** The traffic of a phase, in the order and on the schedule the generator would have sent it. */
export interface PacedTraffic {
  readonly batches: readonly PacedBatch[];
  /** Each record's Avro bytes (the record object is the key). */
  readonly encoded: ReadonlyMap<TransactionRecord, Buffer>;
  readonly records: number;
}

/** A clock that moves only when slept on: the generator's pacing, at no cost in wall time. */
class VirtualClock implements RunClock {
  #nowMs = 0;
  now(): number {
    return this.#nowMs;
  }
  async sleep(ms: number): Promise<void> {
    this.#nowMs += Math.max(0, ms);
  }
}

/**
 * Runs the generator as the phase would (`options` must give a rate and a duration) on a virtual
 * clock, keeping each batch with the time it would have been sent and each record's encoding.
 */
export async function generatePacedTraffic(
  options: GeneratorRunOptions,
  serde: RecordSerde<TransactionRecord>,
): Promise<PacedTraffic> {
  if (options.rate === undefined || options.durationMs === undefined) {
    throw new RangeError('paced traffic needs a rate and a duration');
  }
  const clock = new VirtualClock();
  const context: SerdeContext = { topic: options.topic, part: 'value' };
  const batches: PacedBatch[] = [];
  const encoded = new Map<TransactionRecord, Buffer>();
  let records = 0;
  const recorder: TransactionSink = {
    async send(batch) {
      for (const record of batch) encoded.set(record, await serde.serialize(record, context));
      batches.push({ atMs: clock.now(), records: batch });
      records += batch.length;
    },
    close: async () => undefined,
  };
  await runGenerator(options, recorder, { clock, progress: silentProgress });
  return { batches, encoded, records };
}

/** A serde that hands back the bytes encoded in advance; a record not among them is a bench bug. */
export function preEncodedSerde(traffic: PacedTraffic): RecordSerde<TransactionRecord> {
  return {
    name: 'pre-encoded',
    serialize(record) {
      const bytes = traffic.encoded.get(record);
      if (bytes === undefined)
        throw new Error(`transaction ${record.transactionId} was not encoded in advance`);
      return bytes;
    },
    deserialize() {
      throw new Error('the pre-encoded serde only serializes');
    },
  };
}

/**
 * Sends each batch when it is due (one send in flight, as the generator does); a late send does
 * not shift the ones after it, so a slow broker shows as latency rather than as a lower rate.
 */
export async function sendPaced(
  traffic: PacedTraffic,
  sink: TransactionSink,
  clock: RunClock,
): Promise<void> {
  const startedAt = clock.now();
  for (const batch of traffic.batches) {
    const wait = startedAt + batch.atMs - clock.now();
    if (wait > 0) await clock.sleep(wait);
    await sink.send(batch.records);
  }
}
