/**
 * The engine's record vocabulary: what a task consumes and produces, and where it sits in Kafka.
 * Processors, the topology API, the state layer's callers and every Kafka adapter speak these;
 * they live here, not in the adapter port (kafka/client.ts), so that a topology's API does not
 * import from the Kafka boundary.
 */
export type Headers = Record<string, Buffer>;

/** Sets a header. One named __proto__ (anyone can send one) stays a header, never the prototype. */
export function setHeader(headers: Headers, name: string, value: Buffer): void {
  if (name === '__proto__') {
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
  } else {
    headers[name] = value;
  }
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  /** Offsets stay well below 2^53 in practice; numbers keep the hot path cheap. */
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
}

export interface OutgoingRecord {
  topic: string;
  /** Explicit for changelogs and the DLQ; left to the client's key hash for outputs. */
  partition?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Headers;
  timestamp?: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
  /** Committed with the offset (Kafka's offset metadata): the task's stream time, for instance. */
  metadata?: string;
}

/** `<topic>:<partition>`: the key of maps by topic-partition. */
export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}:${tp.partition}`;
}
