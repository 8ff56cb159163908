import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** A store's bytes on disk: every file of its LevelDB directory (tables, log, manifest). */
export interface StoreDiskSize {
  readonly task: string;
  readonly store: string;
  readonly bytes: number;
}

/**
 * The size on disk of each store of the given tasks (`<stateDir>/<appId>/<task>/<store>/`), as
 * operators see it with `du`: LevelDB's own estimate leaves out its log and what compaction has
 * yet to reclaim. A task or store missing on disk is left out. Reads directories only: cheap
 * enough for a scrape every few seconds with dozens of tasks, and callers cache it.
 */
export async function storeDiskSizes(
  stateDir: string,
  appId: string,
  tasks: readonly string[],
): Promise<StoreDiskSize[]> {
  const perTask = await Promise.all(
    tasks.map(async (task) => {
      const taskDir = path.join(stateDir, appId, task);
      const stores = await directoriesIn(taskDir);
      return Promise.all(
        stores.map(async (store) => ({ task, store, bytes: await bytesIn(path.join(taskDir, store)) })),
      );
    }),
  );
  return perTask.flat();
}

async function directoriesIn(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** The bytes of the regular files in `dir` (a LevelDB directory is flat). */
async function bytesIn(dir: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  const sizes = await Promise.all(
    entries
      .filter((e) => e.isFile())
      .map((e) =>
        stat(path.join(dir, e.name)).then(
          (s) => s.size,
          () => 0, // deleted by a compaction meanwhile
        ),
      ),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
