import { tmpdir } from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { streamsConfigFrom } from '../../../cli/env-config.ts';
import { validateStreamsConfig } from '../../../processor/config.ts';
import { ConfigError } from '../../../processor/errors.ts';
import { StreamsApp, siblingModuleUrl } from '../../../processor/index.ts';
import { threadConfig } from '../../../processor/stream-threads/index.ts';
import { countingTopology } from '../../../topologies/counting.ts';
import { topologyByName } from '../../../topologies/index.ts';
import { runPendingStreamThread } from '../../support/pending-stream-thread.ts';

const base = { applicationId: 'balances', brokers: ['h:1'], stateDir: tmpdir() };
const MIB = 1024 * 1024;

describe('stream threads', () => {
  it('are one unless set, from 1 to 32, through SALDO_STREAM_THREADS or --stream-threads', () => {
    expect(validateStreamsConfig(base).streamThreads).toBe(1);
    expect(validateStreamsConfig(streamsConfigFrom({ SALDO_STREAM_THREADS: '2' }, {})).streamThreads).toBe(2);
    expect(
      validateStreamsConfig(streamsConfigFrom({ SALDO_STREAM_THREADS: '2' }, { streamThreads: '3' }))
        .streamThreads,
    ).toBe(3);
    for (const bad of [0, 33, 1.5])
      expect(() => validateStreamsConfig({ ...base, streamThreads: bad })).toThrow(/streamThreads/);
    expect(() => validateStreamsConfig(streamsConfigFrom({ SALDO_STREAM_THREADS: 'many' }, {}))).toThrow(
      /streamThreads/,
    );
  });

  it('above one are refused by a StreamsApp, which is one stream thread', () => {
    const topology = countingTopology({ input: 'in', output: 'out' });
    expect(() => new StreamsApp(topology, { ...base, streamThreads: 2, logLevel: 'silent' })).toThrow(
      ConfigError,
    );
    expect(() => new StreamsApp(topology, { ...base, streamThreads: 2, logLevel: 'silent' })).toThrow(
      /StreamThreadsApp/,
    );
  });

  it('each get their own instance id and an even share of the fetch budget, as a valid config', () => {
    const config = validateStreamsConfig({ ...base, instanceId: 'pod-7', streamThreads: 2 });
    const thread = validateStreamsConfig(threadConfig(config, 1));
    expect(thread.streamThreads).toBe(1);
    expect(thread.instanceId).toBe('pod-7-1');
    expect(thread.fetchMaxBytes).toBe(config.fetchMaxBytes / 2);
    expect(thread.fetchMaxBytesPerPartition).toBe(config.fetchMaxBytesPerPartition);
    expect(thread.applicationId).toBe('balances');

    // A share below a partition's own bound lowers that bound too (it may not exceed the total),
    // and no share falls below the schema's minimum.
    const many = validateStreamsConfig({ ...base, streamThreads: 32, fetchMaxBytes: 1 * MIB });
    const small = validateStreamsConfig(threadConfig(many, 31));
    expect(small.fetchMaxBytes).toBe(64 * 1024);
    expect(small.fetchMaxBytesPerPartition).toBe(64 * 1024);
  });

  it('build their topology by name, as `saldo run` does', () => {
    const topology = topologyByName({ name: 'counting', input: 'tx', output: 'totals' });
    expect(topology.sourceTopics).toEqual(['tx']);
    expect(() => topologyByName({ name: 'nope' })).toThrow(ConfigError);
  });
});

describe('siblingModuleUrl', () => {
  it('keeps .ts when running from source and takes the compiled .js in a build', () => {
    expect(siblingModuleUrl('./thread.ts', 'file:///app/processor/stream-threads/index.ts').href).toBe(
      'file:///app/processor/stream-threads/thread.ts',
    );
    expect(siblingModuleUrl('../topologies/index.ts', 'file:///app/dist/cli/main.js').href).toBe(
      'file:///app/dist/topologies/index.js',
    );
    expect(() => siblingModuleUrl('./thread', 'file:///app/x.ts')).toThrow(/\.ts module path/);
  });
});

describe('a stream thread', () => {
  it('answers a request for its metrics with the same id, even before its topology is built', async () => {
    const { receive, posted } = runPendingStreamThread(base);
    receive({ type: 'metrics', requestId: 7 });
    receive({ type: 'metrics', requestId: 8 });
    await vi.waitFor(() => expect(posted).toHaveLength(2));
    const answers = posted.map((message) => {
      if (message.type !== 'metrics') throw new Error(`expected metrics, got ${message.type}`);
      return message;
    });
    expect(answers.map((a) => a.requestId).sort()).toEqual([7, 8]);
    expect(answers[0]?.metrics.map((m) => m.name)).toContain('saldo_records_processed_total');
  });

  it('answers a readiness request: starting, without an assignment, while its app is not built', async () => {
    const { receive, posted } = runPendingStreamThread(base);
    receive({ type: 'readiness', requestId: 3 });
    await vi.waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({
      type: 'readiness',
      requestId: 3,
      readiness: { state: 'starting', joined: false, tasks: [] },
    });
  });
});
