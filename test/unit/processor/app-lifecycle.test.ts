import { describe, expect, it } from 'vitest';
import { AppLifecycle } from '../../../processor/app-lifecycle.ts';
import { createLogger } from '../../../processor/log.ts';
import { StreamThreadsApp } from '../../../processor/index.ts';

const logger = createLogger({ level: 'silent' });

describe('the app life cycle (StreamsApp and StreamThreadsApp)', () => {
  it('follows Kafka Streams states and refuses illegal transitions, naming the app', () => {
    const lifecycle = new AppLifecycle('balances', logger);
    expect(lifecycle.state).toBe('created');
    lifecycle.transitionTo('starting');
    lifecycle.transitionTo('running');
    expect(() => lifecycle.transitionTo('starting')).toThrow(
      /balances: illegal transition running -> starting/,
    );
    lifecycle.transitionTo('pending-shutdown');
    lifecycle.transitionTo('stopped');
    expect(() => lifecycle.transitionTo('running')).toThrow(/illegal transition stopped -> running/);
  });

  it('takes a StreamThreadsApp stopped before it started straight to stopped, and it cannot start then', async () => {
    const app = new StreamThreadsApp(
      { module: 'unused', exportName: 'unused', args: {} },
      { applicationId: 'balances', brokers: ['h:1'], stateDir: '/s', streamThreads: 2, logLevel: 'silent' },
    );
    const summary = await app.stop();
    expect(app.state).toBe('stopped');
    expect(summary.commitLatenciesMs).toEqual([]);
    await expect(app.start()).rejects.toThrow(/illegal transition stopped -> starting/);
  });
});
