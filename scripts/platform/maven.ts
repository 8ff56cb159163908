// Fetching artifacts from Maven Central into the cache with the system `mvn`. Each artifact set
// lands in its own cache directory, built in a temporary sibling and renamed into place, with a
// marker file that says it is complete; later runs reuse it without calling Maven.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findExecutable, runLogged } from './process.ts';

/** maven-dependency-plugin version; Maven 3.8's default (2.8) lacks what we use. */
export const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

const MARKER = '.saldo-complete';
const MAVEN_TIMEOUT_MS = 30 * 60_000;

/** Maven runs one at a time: concurrent runs writing one local repository can corrupt it. */
let mavenChain: Promise<unknown> = Promise.resolve();

function serialised<T>(task: () => Promise<T>): Promise<T> {
  const next = mavenChain.then(task, task);
  mavenChain = next.catch(() => undefined);
  return next;
}

export interface MavenRun {
  cacheDir: string;
  cwd: string;
  logFile: string;
}

/**
 * `mvn -q -B <args>` with the local repository inside the cache dir (so the cache is
 * self-contained) and output appended to the log file.
 */
export function runMaven(args: string[], run: MavenRun): Promise<void> {
  return serialised(async () => {
    const mvn = findExecutable('mvn');
    if (mvn === undefined) {
      throw new Error('mvn (Apache Maven) is not on PATH; install it, e.g. `apt-get install -y maven`');
    }
    await runLogged(
      mvn,
      [
        '-q',
        '-B',
        '-Dstyle.color=never',
        `-Dmaven.repo.local=${join(run.cacheDir, 'maven-repo')}`,
        ...args,
      ],
      { cwd: run.cwd, logFile: run.logFile, timeoutMs: MAVEN_TIMEOUT_MS },
    );
  });
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
 * Ensure `dir` holds a complete artifact set: when the marker matches `description` return at once;
 * otherwise let `populate` fill a temporary directory, mark it complete and move it into place.
 */
export async function ensureCachedDir(
  dir: string,
  description: string,
  populate: (tmpDir: string) => Promise<void>,
): Promise<boolean> {
  if (isComplete(dir, description)) return false;
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await populate(tmp);
    writeFileSync(join(tmp, MARKER), description);
    if (isComplete(dir, description)) return true; // another run finished first
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return true;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
