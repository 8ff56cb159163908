import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  EngineMetrics,
  ManualClock,
  TopologyBuilder,
  createLogger,
  keyValueStore,
  recordSerde,
  validateStreamsConfig,
} from '../../../processor/index.ts';
import { TaskFactory } from '../../../processor/task-factory.ts';
import type { StreamTask } from '../../../processor/task.ts';
import { stringSerde, type ChangelogSourceRecord } from '../../../state/index.ts';
import { RecordingCommitUnit } from './task-fixture.ts';

const strings = recordSerde(stringSerde, 'string');
const last = keyValueStore('last', { keySerde: stringSerde, valueSerde: stringSerde });
const topology = new TopologyBuilder()
  .addSource('in', { topics: ['in'], keySerde: strings, valueSerde: strings })
  .addStore(last)
  .addProcessor('remember', { parents: ['in'], stores: [last], create: () => ({ process() {} }) })
  .build();

const opened: StreamTask[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const task of opened.splice(0)) await task.close();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function factory(): Promise<{ factory: TaskFactory; metrics: EngineMetrics }> {
  const stateDir = await mkdtemp(join(tmpdir(), 'saldo-factory-'));
  dirs.push(stateDir);
  const config = validateStreamsConfig({
    applicationId: 'factory-test',
    brokers: ['unused:9092'],
    stateDir,
    logLevel: 'silent',
  });
  const metrics = new EngineMetrics();
  const logger = createLogger({ level: 'silent' });
  return {
    factory: new TaskFactory({
      topology,
      config,
      logger,
      metrics,
      clock: new ManualClock(0),
      collectCommittedOutputs: true,
    }),
    metrics,
  };
}

describe('the task factory', () => {
  it('creates the task of a partition, named by its task id, over its opened state', async () => {
    const { factory: tasks } = await factory();
    const task = await tasks.create(7);
    opened.push(task);
    expect(task.taskId).toBe('0_7');
    expect(task.state).toBe('created');
  });

  it('starts a task: restores its stores from their changelogs, then runs from the committed offsets', async () => {
    const { factory: tasks, metrics } = await factory();
    const task = await tasks.create(2);
    opened.push(task);
    const changelog: ChangelogSourceRecord[] = [
      { topic: 'factory-test-last-changelog', offset: 0, key: Buffer.from('a'), value: Buffer.from('1') },
      { topic: 'factory-test-last-changelog', offset: 1, key: Buffer.from('b'), value: Buffer.from('2') },
    ];
    const asked: string[] = [];
    const summary = await tasks.start(task, {
      openCommitUnit: async () => new RecordingCommitUnit(),
      changelogs: {
        offsetRange: async (partitions) => {
          asked.push(...partitions.map((p) => `${p.topic}:${p.partition}`));
          return new Map([['factory-test-last-changelog:2', { start: 0, end: 2 }]]);
        },
        read: async (_ranges, onRecords) => onRecords(changelog),
      },
      committedOffsets: async () => new Map([['in:2', { offset: 40, metadata: 'saldo:1:5000' }]]),
      heartbeat: async () => undefined,
    });
    expect(asked).toEqual(['factory-test-last-changelog:2']);
    expect(summary.total).toBe(2);
    expect(task.state).toBe('running');
    expect(task.keyValueStore<string, string>('last').get('b')).toBe('2');
    expect(task.nextOffset('in')).toBe(40);
    expect(task.streamTime).toBe(5_000);
    const restored = await metrics.restoredRecords.get();
    expect(restored.values.map((v) => [v.labels.store, v.value])).toEqual([['last', 2]]);
  });

  it('closes the commit unit it opened when the start fails after the restore', async () => {
    const { factory: tasks } = await factory();
    const task = await tasks.create(3);
    opened.push(task);
    let closed = 0;
    const unit = new RecordingCommitUnit();
    unit.close = async () => {
      closed += 1;
    };
    await expect(
      tasks.start(task, {
        openCommitUnit: async () => unit,
        changelogs: {
          offsetRange: async () => new Map([['factory-test-last-changelog:3', { start: 0, end: 0 }]]),
          read: async () => undefined,
        },
        committedOffsets: async () => {
          throw new Error('coordinator not available');
        },
        heartbeat: async () => undefined,
      }),
    ).rejects.toThrow(/coordinator not available/);
    expect(closed).toBe(1);
    expect(task.state).toBe('restoring');
  });
});
