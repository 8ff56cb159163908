// Fetching artifacts from Maven Central into the cache with the system `mvn`. Each artifact set
// lands in its own cache directory, built in a temporary sibling and renamed into place, with a
// marker file that says it is complete; later runs reuse it without calling Maven. Maven's local
// repository is a scratch directory per fetch (deleted afterwards): the cache keeps only the
// outputs, and parallel fetches never share a repository.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { findExecutable, isAlive, runLogged } from './process.ts';

/** maven-dependency-plugin version; Maven 3.8's default (2.8) lacks what we use. */
export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

const MARKER = '.saldo-complete';
const MAVEN_TIMEOUT_MS = 30 * 60_000;

export interface MavenRun {
  /** Maven's local repository for this run (a throwaway directory next to the output). */
  localRepo: string;
  cwd: string;
  logFile: string;
  signal?: AbortSignal;
}

/** `mvn -q -B <args>` with its own local repository and output appended to the log file. */
export async function runMaven(args: string[], run: MavenRun): Promise<void> {
  const mvn = findExecutable('mvn');
  if (mvn === undefined) {
    throw new Error('mvn (Apache Maven) is not on PATH; install it, e.g. `apt-get install -y maven`');
  }
  await runLogged(mvn, ['-q', '-B', '-Dstyle.color=never', `-Dmaven.repo.local=${run.localRepo}`, ...args], {
    cwd: run.cwd,
    logFile: run.logFile,
    timeoutMs: MAVEN_TIMEOUT_MS,
    ...(run.signal === undefined ? {} : { signal: run.signal }),
  });
}

/** Remove `<dir>.tmp-<pid>-*` / `<dir>.work-<pid>-*` left by an interrupted run whose pid is gone. */
function removeAbandoned(dir: string): void {
  const prefix = `${basename(dir)}.`;
  for (const name of readdirSync(dirname(dir))) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(?:tmp|work)-(\d+)-\d+$/.exec(name.slice(prefix.length));
    if (match === null) continue;
    if (Number(match[1]) !== process.pid && !isAlive(Number(match[1]))) {
      rmSync(join(dirname(dir), name), { recursive: true, force: true });
    }
  }
}

/** True when `dir` holds a completed artifact set described by `description`. */
export function isComplete(dir: string, description: string): boolean {
  try {
    return readFileSync(join(dir, MARKER), 'utf8') === description;
  } catch {
    return false;
  }
}

/**
 * Ensure `dir` holds a complete artifact set: when the marker matches `description` return false at
 * once; otherwise let `populate` fill a temporary output directory (with a scratch `workDir`, e.g.
 * for Maven's local repository, deleted afterwards), mark it complete, move it into place and
 * return true. Each set gets its own Maven repository, so fetches can run in parallel safely.
 */
export async function ensureCachedDir(
  dir: string,
  description: string,
  populate: (outDir: string, workDir: string) => Promise<void>,
): Promise<boolean> {
  if (isComplete(dir, description)) return false;
  mkdirSync(dirname(dir), { recursive: true });
  removeAbandoned(dir);
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = `${dir}.tmp-${stamp}`;
  const work = `${dir}.work-${stamp}`;
  mkdirSync(tmp, { recursive: true });
  mkdirSync(work, { recursive: true });
  try {
    await populate(tmp, work);
    writeFileSync(join(tmp, MARKER), description);
    if (isComplete(dir, description)) return true; // another run finished first
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
