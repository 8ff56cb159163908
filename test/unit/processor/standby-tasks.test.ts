import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, validateStreamsConfig } from '../../../processor/index.ts';
import type {
  AdminClient,
  ChangelogFollower,
  FollowedBatch,
  KafkaClientAdapter,
} from '../../../processor/kafka/client.ts';
import { EngineMetrics } from '../../../processor/metrics.ts';
import { StandbyTasks } from '../../../processor/standby-tasks.ts';
import { countingTopology } from '../../../topologies/counting.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A follower that behaves as kafkajs' consumer does where it matters here: stop() returns only once
 * the batch being handed over has been applied.
 */
class FakeFollower implements ChangelogFollower {
  readonly follows: Array<ReadonlyArray<{ topic: string; partition: number; from: number }>> = [];
  inFlight: Promise<void> | undefined;
  readonly onBatch: (batch: FollowedBatch) => Promise<void>;
  constructor(onBatch: (batch: FollowedBatch) => Promise<void>) {
    this.onBatch = onBatch;
  }
  async follow(starts: ReadonlyArray<{ topic: string; partition: number; from: number }>) {
    await this.stop();
    this.follows.push(starts);
  }
  deliver(batch: FollowedBatch): Promise<void> {
    this.inFlight = this.onBatch(batch);
    return this.inFlight;
  }
  async stop() {
    await this.inFlight;
  }
}

async function standbysWith() {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'saldo-standby-'));
  dirs.push(stateDir);
  const topology = countingTopology({ input: 'tx', output: 'totals' });
  const config = validateStreamsConfig({ applicationId: 'bank', brokers: ['127.0.0.1:1'], stateDir });
  let follower: FakeFollower | undefined;
  const adapter = {
    changelogFollower: (_name: string, onBatch: (batch: FollowedBatch) => Promise<void>) =>
      (follower = new FakeFollower(onBatch)),
    // Nothing to restore: every changelog is empty.
    changelogReader: () => ({ read: async () => undefined }),
  } as unknown as KafkaClientAdapter;
  const admin = {
    offsetRange: async (tps: Array<{ topic: string; partition: number }>) =>
      new Map(tps.map((tp) => [`${tp.topic}:${tp.partition}`, { start: 0, end: 0 }])),
  } as unknown as AdminClient;
  const standbys = new StandbyTasks({
    topology,
    config,
    adapter,
    admin,
    logger: createLogger({ level: 'silent' }),
    metrics: new EngineMetrics({ app: 'bank' }),
    onWarmupCaughtUp: () => undefined,
  });
  return { standbys, follower: follower as unknown as FakeFollower };
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms),
    ),
  ]);

describe('standby tasks', () => {
  it('opens new standbys while the follower is applying a batch (no deadlock between the two)', async () => {
    const { standbys, follower } = await standbysWith();
    await within(standbys.update([0], []), 5_000, 'the first standby');
    expect(standbys.partitions()).toEqual([0]);
    const changelog = follower.follows.at(-1)?.[0];
    expect(changelog).toMatchObject({ partition: 0, from: 0 });

    // A new assignment adds standby 1 and, just after, a batch for standby 0 arrives: the open
    // phase stops the follower, which waits for that batch to be applied.
    const record = {
      topic: changelog?.topic as string,
      partition: 0,
      offset: 0,
      timestamp: 0,
      key: Buffer.from('acct-1|MXN'),
      value: Buffer.from('{"count":1,"sumMinor":"5"}'),
      headers: {},
    };
    const updating = standbys.update([0, 1], []);
    const applying = follower.deliver({
      topic: record.topic,
      partition: 0,
      records: [record],
      nextOffset: 2,
    });
    await within(Promise.all([updating, applying]), 5_000, 'the second standby');
    expect(standbys.partitions()).toEqual([0, 1]);
    // The batch was applied, markers included: standby 0 follows on from offset 2.
    expect(follower.follows.at(-1)).toContainEqual(expect.objectContaining({ partition: 0, from: 2 }));
    expect(standbys.offsetSums()).toEqual({ '0': 2, '1': 0 });
    await standbys.closeAll();
  });

  it('releases a standby’s stores for an active task, and closes everything at the end', async () => {
    const { standbys } = await standbysWith();
    await standbys.update([0, 3], [3]);
    await within(standbys.release(3), 5_000, 'the release');
    expect(standbys.partitions()).toEqual([0]);
    await standbys.closeAll();
    expect(standbys.partitions()).toEqual([]);
  });
});
