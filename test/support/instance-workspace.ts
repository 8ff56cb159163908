import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { killAllInstances, stopAllInstances } from './instance-process.ts';
import { testKafka } from './kafka.ts';

/** A value that a beforeAll hook sets: what tests read, with a clear error if read too early. */
export function setUpInBeforeAll<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is set up in beforeAll; use it inside tests`);
  return value;
}

export interface InstanceWorkspace {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** A fresh directory for the instances' logs and state directories. */
  readonly root: string;
}

/**
 * The set-up that tests running instances as child processes share, as vitest hooks of the
 * enclosing describe: a kafkajs client and connected admin, a working directory, and afterwards
 * every instance stopped (SIGTERM, then SIGKILL). The directory is kept, and its path printed,
 * when a test failed or SALDO_KEEP_INSTANCE_LOGS is set, so that the instances' logs can be read.
 */
export function useInstanceWorkspace(
  label: string,
  opts: { stopInstancesAfter: 'each' | 'all' },
): InstanceWorkspace {
  let kafka: Kafka | undefined;
  let admin: Admin | undefined;
  let root: string | undefined;
  let failed = false;
  const stopAll = () => stopAllInstances(10_000).catch(() => killAllInstances());

  beforeAll(async () => {
    kafka = testKafka();
    admin = kafka.admin();
    await admin.connect();
    root = await mkdtemp(join(tmpdir(), `saldo-${label}-`));
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
    if (opts.stopInstancesAfter === 'each') await stopAll();
  });
  afterAll(async () => {
    await stopAll();
    await killAllInstances();
    await admin?.disconnect();
    if (root === undefined) return;
    if (failed || process.env.SALDO_KEEP_INSTANCE_LOGS) {
      console.error(`[${label}] instance logs and state kept in ${root}`);
    } else {
      await rm(root, { recursive: true, force: true });
    }
  });

  return {
    get kafka() {
      return setUpInBeforeAll(kafka, 'kafka');
    },
    get admin() {
      return setUpInBeforeAll(admin, 'admin');
    },
    get root() {
      return setUpInBeforeAll(root, 'root');
    },
  };
}
