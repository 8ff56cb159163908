import type { AdminClient, ChangelogReader } from './kafka/client.ts';
import type { ConsumedRecord } from './records.ts';
import { tpKey } from './records.ts';
import { taskLogger, type Logger } from './log.ts';
import type { EngineMetrics } from './metrics.ts';
import type { StreamTask } from './task.ts';

/**
 * Records of a bootstrap per commit. A bootstrap commits as it goes (so that a long one keeps its
 * progress and the task's transaction stays bounded); its commits carry only the table offsets and
 * any dead letters, so they can be larger than the running task's (maxBufferedRecordsPerTask).
 */
const BOOTSTRAP_COMMIT_RECORDS = 20_000;

export interface TableBootstrapSummary {
  /** Table records read, per table store. */
  read: Map<string, number>;
  elapsedMs: number;
}

/**
 * Brings a running task's tables up to the end of their topics before it processes any stream
 * record (processor/table-source.ts). Each table partition is read with read_committed from its
 * store's checkpoint (from the beginning without one) to its end offset, taken after the task's
 * commit unit fenced older holders. The records go through the task like input records, as
 * bootstrap records (StreamTask.beginTableBootstrap): through its transaction, committed as the
 * bootstrap goes and at the task's next commit, so that a store's checkpoint never passes a record
 * whose dead letter is not committed, and with exactly-once the table offsets are committed with
 * the rest. Afterwards each table partition goes on from where the bootstrap stopped.
 */
export async function bootstrapTables(
  task: StreamTask,
  deps: {
    admin: AdminClient;
    reader: ChangelogReader;
    logger: Logger;
    metrics: EngineMetrics;
    heartbeat: () => Promise<void>;
  },
): Promise<TableBootstrapSummary> {
  const started = performance.now();
  const tables = task.tablePartitions();
  const read = new Map<string, number>(tables.map((t) => [t.store, 0]));
  if (tables.length === 0) return { read, elapsedMs: 0 };
  const log = taskLogger(deps.logger, task.taskId, task.partition);
  const state = task.stateManager;
  const ranges = await deps.admin.offsetRange(tables);
  const ends = new Map<string, number>();
  const work: Array<{ store: string; topic: string; partition: number; from: number; to: number }> = [];
  for (const t of tables) {
    const range = ranges.get(tpKey(t)) ?? { start: 0, end: 0 };
    const checkpoint = state.checkpoint(t.store);
    let from = checkpoint === undefined ? range.start : Number(checkpoint);
    if (checkpoint !== undefined && (from > range.end || from < range.start)) {
      // Ahead of the topic (it was recreated), or behind its start (retention deleted records,
      // tombstones among them): the store cannot be brought up to date from here. Read it anew.
      log.warn(
        { store: t.store, topic: t.topic, checkpoint: from, start: range.start, end: range.end },
        "the table store's checkpoint is outside its topic; wiping the store and reading the topic anew",
      );
      await state.wipeStore(t.store);
      from = range.start;
    }
    ends.set(t.topic, range.end);
    if (from < range.end)
      work.push({ store: t.store, topic: t.topic, partition: t.partition, from, to: range.end });
  }

  task.beginTableBootstrap();
  try {
    if (work.length > 0) {
      log.info(
        { tables: work.map((w) => ({ topic: w.topic, from: w.from, to: w.to })) },
        'reading tables before processing',
      );
      const storeByTopic = new Map(work.map((w) => [w.topic, w.store]));
      await deps.reader.read(
        work,
        async (records: ConsumedRecord[]) => {
          for (const record of records) {
            const pending = task.processNow(record);
            if (pending) await pending;
            if (task.uncommittedRecords >= BOOTSTRAP_COMMIT_RECORDS) await task.commit();
          }
          const store = storeByTopic.get(records[0]?.topic ?? '');
          if (store !== undefined) {
            read.set(store, (read.get(store) ?? 0) + records.length);
            deps.metrics.restoredRecords.inc({ store }, records.length);
          }
        },
        { heartbeat: deps.heartbeat },
      );
    }
  } finally {
    task.endTableBootstrap(ends);
  }
  const elapsedMs = performance.now() - started;
  if (work.length > 0) {
    log.info({ read: Object.fromEntries(read), elapsedMs: Math.round(elapsedMs) }, 'tables read');
  }
  return { read, elapsedMs };
}
