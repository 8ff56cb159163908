import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../processor/log.ts';
import { OpsServer, OpsServerError } from '../../../../processor/ops/ops-server.ts';
import type { Readiness } from '../../../../processor/ops/readiness.ts';
import type { AppState } from '../../../../processor/app-lifecycle.ts';

const silent = createLogger({ level: 'silent' });
let server: OpsServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(state: { alive: boolean; readiness: Readiness; metrics?: () => Promise<string> }) {
  server = new OpsServer({
    host: '127.0.0.1',
    port: 0,
    metrics:
      state.metrics ?? (async () => '# TYPE saldo_rebalances_total counter\nsaldo_rebalances_total 1\n'),
    readiness: async () => state.readiness,
    liveness: () => ({ alive: state.alive, state: state.readiness.state as AppState }),
    logger: silent,
  });
  const port = await server.start();
  return (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method });
}

const restoring: Readiness = {
  ready: false,
  reason: 'active tasks not running: 0_1 restoring',
  state: 'running',
  tasks: { '0_0': 'running', '0_1': 'restoring' },
};

describe('the ops server', () => {
  it('serves the metrics in Prometheus text format', async () => {
    const get = await start({ alive: true, readiness: restoring });
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await response.text()).toContain('saldo_rebalances_total 1');
  });

  it('answers /readyz 503 with the reason while a task restores, and 200 once all run', async () => {
    const state = { alive: true, readiness: restoring };
    const get = await start(state);
    const notReady = await get('/readyz');
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual(restoring);
    state.readiness = { ready: true, state: 'running', tasks: { '0_0': 'running', '0_1': 'running' } };
    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true });
  });

  it('answers /healthz 200 while alive (restoring or not) and 503 once the app failed', async () => {
    const state = { alive: true, readiness: restoring };
    const get = await start(state);
    expect((await get('/healthz')).status).toBe(200);
    state.alive = false;
    const failed = await get('/healthz');
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ status: 'failed', state: 'running' });
  });

  it('answers HEAD like GET without a body, 404 elsewhere, 405 to other methods, 500 when metrics fail', async () => {
    const get = await start({
      alive: true,
      readiness: restoring,
      metrics: () => Promise.reject(new Error('registry broken')),
    });
    const head = await get('/healthz', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await get('/accounts/a/balance')).status).toBe(404);
    expect((await get('/readyz', 'POST')).status).toBe(405);
    expect((await get('/metrics')).status).toBe(500);
    expect((await get('/readyz?verbose=1')).status).toBe(503);
  });

  it('fails to start, naming the port and the setting, when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const clash = new OpsServer({
        host: '127.0.0.1',
        port,
        metrics: async () => '',
        readiness: async () => restoring,
        liveness: () => ({ alive: true, state: 'running' }),
        logger: silent,
      });
      await expect(clash.start()).rejects.toThrow(OpsServerError);
      await expect(clash.start()).rejects.toThrow(new RegExp(`127\\.0\\.0\\.1:${port}.*SALDO_OPS_PORT`));
    } finally {
      taken.close();
    }
  });
});
