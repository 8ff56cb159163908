import type { ChangelogPartition } from './changelog-source.ts';
import { partitionKey } from './changelog-source.ts';
import { StoreArgumentError } from './errors.ts';
import type { StoreSpec } from './store-spec.ts';
import type { ChangelogRecord } from './task-transaction.ts';

/** The changelog partition of a store with a changelog of its own. */
export interface StoreChangelog extends ChangelogPartition {
  readonly store: string;
}

/** A changelog record addressed to its topic-partition, as a commit sends it. */
export interface OutgoingChangelogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/**
 * The changelog side of a task's commits: where each store's changelog is (processor/ names the
 * topics), and the checkpoint each store earns once a commit is in Kafka. A store with a changelog
 * of its own covers its changelog up to the last record the commit wrote there; a store whose
 * changelog is an input topic (a table's store, `logged: false`) covers that topic up to the last
 * record applied.
 */
export class ChangelogCheckpoints {
  readonly #taskId: string;
  /** Undefined when the state was opened without its changelogs (to read its stores only). */
  readonly #logged: readonly StoreChangelog[] | undefined;
  readonly #loggedStores: number;
  readonly #changelogOf: ReadonlyMap<string, StoreChangelog>;
  /** The changelog partitions' keys in a commit's produced offsets, index-aligned with #logged. */
  readonly #keys: readonly string[];
  /** Per store whose changelog is an input topic: the next offset its uncommitted writes cover. */
  readonly #inputCheckpoints = new Map<string, number>();

  constructor(
    taskId: string,
    changelogs: ReadonlyMap<string, ChangelogPartition> | undefined,
    stores: readonly StoreSpec[],
  ) {
    this.#taskId = taskId;
    const logged = stores.filter((spec) => spec.logged !== false);
    this.#loggedStores = logged.length;
    this.#logged = changelogs && logged.map((spec) => changelogOf(spec.name, changelogs, taskId));
    this.#changelogOf = new Map((this.#logged ?? []).map((c) => [c.store, c]));
    this.#keys = (this.#logged ?? []).map(partitionKey);
  }

  /** The changelog partition of every store with a changelog of its own, in store order. */
  changelogs(): readonly StoreChangelog[] {
    return this.#requireChangelogs('restore');
  }

  /** A store whose changelog is an input topic now holds that topic below `nextOffset`. */
  advanceInput(store: string, nextOffset: number): void {
    this.#inputCheckpoints.set(store, nextOffset);
  }

  /** The transaction's changelog records, each addressed to its store's changelog partition. */
  address(records: readonly ChangelogRecord[]): OutgoingChangelogRecord[] {
    if (records.length === 0) return [];
    this.#requireChangelogs('commit');
    return records.map((c) => {
      const changelog = this.#changelogOf.get(c.store) as StoreChangelog;
      return { topic: changelog.topic, partition: changelog.partition, key: c.key, value: c.value };
    });
  }

  /**
   * The checkpoints a commit earned: for each store it wrote to its changelog, the offset after
   * the last record it wrote there (`produced`: the last offset written per partition, keyed by
   * partitionKey()); for each store it applied input records to, the offset after the last one.
   * Forgets the input progress: the next commit starts afresh.
   */
  committed(produced: ReadonlyMap<string, number>): Map<string, bigint> {
    const logged = this.#requireChangelogs('commit');
    const checkpoints = new Map<string, bigint>();
    for (let index = 0; index < logged.length; index++) {
      const last = produced.get(this.#keys[index] as string);
      if (last !== undefined) checkpoints.set((logged[index] as StoreChangelog).store, BigInt(last + 1));
    }
    for (const [store, next] of this.#inputCheckpoints) checkpoints.set(store, BigInt(next));
    this.#inputCheckpoints.clear();
    return checkpoints;
  }

  /** Forgets the input progress since the last commit (its writes were discarded). */
  discard(): void {
    this.#inputCheckpoints.clear();
  }

  #requireChangelogs(operation: string): readonly StoreChangelog[] {
    if (this.#logged === undefined && this.#loggedStores > 0) {
      throw new StoreArgumentError(
        `cannot ${operation}: the state manager was opened without its changelogs`,
        {
          storeName: '*',
          taskId: this.#taskId,
        },
      );
    }
    return this.#logged ?? [];
  }
}

function changelogOf(
  store: string,
  changelogs: ReadonlyMap<string, ChangelogPartition>,
  taskId: string,
): StoreChangelog {
  const changelog = changelogs.get(store);
  if (changelog === undefined) {
    throw new StoreArgumentError('a store with a changelog of its own was given none', {
      storeName: store,
      taskId,
    });
  }
  return { store, topic: changelog.topic, partition: changelog.partition };
}
