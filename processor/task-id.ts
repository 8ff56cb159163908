/**
 * A task id, as in Kafka Streams: `<subtopology>_<partition>`. saldo runs one sub-topology per app
 * today, so the sub-topology is always 0; the type keeps room for more.
 */
export interface TaskId {
  readonly subtopology: number;
  readonly partition: number;
}

export function taskIdFor(partition: number, subtopology = 0): TaskId {
  return { subtopology, partition };
}

export function formatTaskId(id: TaskId): string {
  return `${id.subtopology}_${id.partition}`;
}

export function parseTaskId(text: string): TaskId {
  const match = /^(\d+)_(\d+)$/.exec(text);
  if (!match) throw new Error(`not a task id: '${text}' (expected <subtopology>_<partition>)`);
  return { subtopology: Number(match[1]), partition: Number(match[2]) };
}
