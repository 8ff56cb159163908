import type { CommittedOutput } from './record-collector.ts';

/** One changelog record of a store, as `readChangelog` hands it over. */
export interface ChangelogRecordRead {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: number;
}

/** What a post-commit hook learns of one commit of one task. */
export interface CommittedEvent {
  readonly taskId: string;
  readonly partition: number;
  /** The outputs of the commit, in the order produced. */
  readonly outputs: CommittedOutput[];
  /**
   * The changelog checkpoint of each store this commit wrote: the next changelog offset, so the
   * commit's state is what that store's changelog holds below it.
   */
  readonly checkpoints: ReadonlyMap<string, bigint>;
}

/** What a post-commit hook learns when one of this instance's tasks starts running. */
export interface TaskStartedEvent {
  readonly taskId: string;
  readonly partition: number;
  /** Each store's checkpoint after restoring: its state is its changelog below that offset. */
  readonly checkpoints: ReadonlyMap<string, bigint | undefined>;
  /**
   * Reads a store's changelog records with offsets in [from, to) (read_committed), in batches; a
   * hook can rebuild what it derives from a store (a serving cache) from there.
   */
  readChangelog(
    store: string,
    from: bigint,
    to: bigint,
    onRecords: (records: readonly ChangelogRecordRead[]) => Promise<void>,
  ): Promise<void>;
}

/**
 * Sees the outputs of each commit once Kafka has committed them, in order per partition (the Redis
 * serving cache, say); a failed call is retried a few times, then given up for that commit. A hook
 * that derives state from committed outputs can catch up on what it missed (a crash between a
 * commit and the hook, a failed call) when a task starts, from the task's changelogs.
 */
export interface PostCommitHook {
  (event: CommittedEvent): Promise<void>;
  /**
   * A task starts running on this instance (after restoring), before its first commit. Called
   * without waiting: long work must not hold the task up, so start it and return.
   */
  onTaskStarted?(event: TaskStartedEvent): void;
  /** The app stops: release connections. */
  close?(): Promise<void>;
}
