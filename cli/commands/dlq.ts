import { Kafka, logLevel } from 'kafkajs';
import { validateStreamsConfig, type StreamsConfig, kafkaJsSecurityOptions } from '../../processor/index.ts';
import { deadLetterTopicFor } from '../../processor/internal-topics.ts';
import type { ConsumedRecord } from '../../processor/records.ts';
import { deadLetterOf, parseDeadLetterIds, replayRecordOf, type DeadLetter } from '../dlq/dead-letters.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { MissingTopicError, readRecordsToEnd } from '../read-topic.ts';

export interface DlqFlags extends RunFlags {
  json?: boolean;
}

export interface DlqReplayFlags extends DlqFlags {
  ids?: string;
  all?: boolean;
  yes?: boolean;
}

function configOf(flags: DlqFlags): StreamsConfig {
  return validateStreamsConfig(streamsConfigFrom(process.env, flags));
}

/** The app's dead-letter records (read_committed), oldest first per partition; none without the topic. */
async function readDeadLetters(config: StreamsConfig): Promise<{ topic: string; records: ConsumedRecord[] }> {
  const topic = deadLetterTopicFor(config.applicationId);
  const records: ConsumedRecord[] = [];
  try {
    await readRecordsToEnd(
      {
        brokers: config.brokers,
        topic,
        clientId: `${config.applicationId}-dlq`,
        kafkaSecurity: config.kafkaSecurity,
      },
      (r) => {
        records.push(r);
      },
    );
  } catch (error) {
    if (!(error instanceof MissingTopicError)) throw error;
  }
  return { topic, records };
}

/** `saldo dlq list`: every dead letter with its reason, origin and error. */
export async function dlqListCommand(flags: DlqFlags): Promise<DeadLetter[]> {
  return (await readDeadLetters(configOf(flags))).records.map(deadLetterOf);
}

/** `saldo dlq show <id>`: one dead letter, its original headers' names and, if asked, its value. */
export async function dlqShowCommand(
  flags: DlqFlags & { value?: boolean },
  id: string,
): Promise<{ letter: DeadLetter; headers: string[]; valueHex?: string }> {
  const [wanted] = parseDeadLetterIds(id);
  const record = (await readDeadLetters(configOf(flags))).records.find(
    (r) => `${r.partition}:${r.offset}` === wanted,
  );
  if (record === undefined) throw new Error(`no dead letter ${id}`);
  return {
    letter: deadLetterOf(record),
    headers: Object.keys(record.headers),
    ...(flags.value === true ? { valueHex: record.value?.toString('hex') ?? '' } : {}),
  };
}

export interface ReplayPlan {
  readonly deadLetterTopic: string;
  readonly letters: DeadLetter[];
  readonly sent: boolean;
}

/**
 * `saldo dlq replay`: sends chosen dead letters back to their input, to the partition they came
 * from, as they were consumed (key, value, headers without the dead-letter ones). Prints the plan;
 * sends only with `--yes`. Idempotent processing by transaction id makes a replay sent twice (an
 * interrupted run re-run) change no balance twice; a record that fails again is a new dead letter.
 */
export async function dlqReplayCommand(flags: DlqReplayFlags): Promise<ReplayPlan> {
  if ((flags.ids === undefined) === (flags.all !== true)) {
    throw new Error('name the dead letters to replay: --ids 0:12,3:40 or --all');
  }
  const config = configOf(flags);
  const { topic, records } = await readDeadLetters(config);
  const ids = flags.ids === undefined ? undefined : new Set(parseDeadLetterIds(flags.ids));
  const chosen = ids === undefined ? records : records.filter((r) => ids.has(`${r.partition}:${r.offset}`));
  if (ids !== undefined && chosen.length !== ids.size) {
    const found = new Set(chosen.map((r) => `${r.partition}:${r.offset}`));
    throw new Error(`no dead letter ${[...ids].filter((id) => !found.has(id)).join(', ')} on ${topic}`);
  }
  const letters = chosen.map(deadLetterOf);
  if (flags.yes !== true || chosen.length === 0) return { deadLetterTopic: topic, letters, sent: false };
  const kafka = new Kafka({
    clientId: `${config.applicationId}-dlq-replay`,
    brokers: config.brokers,
    logLevel: logLevel.ERROR,
    ...kafkaJsSecurityOptions(config.kafkaSecurity),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const record of chosen) {
      const replay = replayRecordOf(record);
      await producer.send({
        topic: replay.topic,
        acks: -1,
        messages: [
          {
            partition: replay.partition,
            key: replay.key,
            value: replay.value,
            headers: replay.headers,
            // The record's own time, as it first arrived (event time for sources that read it there).
            timestamp: String(record.timestamp),
          },
        ],
      });
    }
  } finally {
    await producer.disconnect();
  }
  return { deadLetterTopic: topic, letters, sent: true };
}
