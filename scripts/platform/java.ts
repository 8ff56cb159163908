// Locating a Java runtime of at least a given major version.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findExecutable } from './process.ts';

export interface JavaRuntime {
  home: string;
  java: string;
  major: number;
}

function majorFromVersion(version: string): number | undefined {
  const match = /^(\d+)(?:\.(\d+))?/.exec(version);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first; // 1.8 -> 8
}

function runtimeAt(home: string): JavaRuntime | undefined {
  const java = join(home, 'bin', 'java');
  if (!existsSync(java)) return undefined;
  let version: string | undefined;
  try {
    version = /^JAVA_VERSION="([^"]+)"/m.exec(readFileSync(join(home, 'release'), 'utf8'))?.[1];
  } catch {
    const out = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 20_000 });
    version = /version "([^"]+)"/.exec(`${out.stderr}${out.stdout}`)?.[1];
  }
  const major = version === undefined ? undefined : majorFromVersion(version);
  return major === undefined ? undefined : { home, java, major };
}

/**
 * A Java runtime with major version >= `minMajor`. Looks at, in order: the variable named
 * `overrideVar` (a JAVA_HOME-style path), JAVA_HOME, the `java` on PATH, then /usr/lib/jvm/*
 * (newest first).
 */
export function findJava(
  minMajor: number,
  overrideVar: string,
  env: NodeJS.ProcessEnv = process.env,
): JavaRuntime {
  const homes: string[] = [];
  const override = env[overrideVar];
  if (override !== undefined && override !== '') {
    const runtime = runtimeAt(override);
    if (runtime === undefined) throw new Error(`${overrideVar}=${override} does not contain bin/java`);
    if (runtime.major < minMajor) {
      throw new Error(
        `${overrideVar}=${override} is Java ${runtime.major}; Java ${minMajor} or newer is needed`,
      );
    }
    return runtime;
  }
  const javaHome = env['JAVA_HOME'];
  if (javaHome !== undefined && javaHome !== '') homes.push(javaHome);
  const onPath = findExecutable('java');
  if (onPath !== undefined) {
    try {
      homes.push(dirname(dirname(realpathSync(onPath))));
    } catch {
      // broken symlink: ignore
    }
  }
  const jvmRoot = '/usr/lib/jvm';
  if (existsSync(jvmRoot)) {
    const found = readdirSync(jvmRoot)
      .map((name) => runtimeAt(join(jvmRoot, name)))
      .filter((r): r is JavaRuntime => r !== undefined)
      .sort((a, b) => b.major - a.major);
    homes.push(...found.map((r) => r.home));
  }
  const seen: string[] = [];
  for (const home of homes) {
    const runtime = runtimeAt(home);
    if (runtime === undefined) continue;
    seen.push(`${runtime.home} (Java ${runtime.major})`);
    if (runtime.major >= minMajor) return runtime;
  }
  throw new Error(
    `no Java ${minMajor}+ runtime found (seen: ${seen.join(', ') || 'none'}); install one or set ${overrideVar}`,
  );
}
