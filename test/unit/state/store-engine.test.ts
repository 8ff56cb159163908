import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { describe, expect, it } from 'vitest';
import {
  CheckpointRegressionError,
  StoreArgumentError,
  StoreBusyError,
  StoreClosedError,
  StoreCorruptionError,
  StoreOpenError,
} from '../../../state/index.ts';
import { StoreEngine } from '../../../state/store-engine.ts';
import { bytes, collect, text, useTempStateDir } from './temp-state-dir.ts';

const stateDir = useTempStateDir();
const location = (storeName = 'balances') => ({
  stateDir: stateDir.path,
  appId: 'saldo',
  taskId: '0_3',
  storeName,
});
const openEngine = async (storeName = 'balances') =>
  stateDir.closeAfter(await StoreEngine.open(location(storeName)));

const put = (key: string, value: string) => ({ key: bytes(key), value: bytes(value) });
const del = (key: string) => ({ key: bytes(key), value: null });
const entries = async (iterable: AsyncIterable<[Buffer, Buffer]>) =>
  (await collect(iterable)).map(([key, value]) => [text(key), text(value)]);

describe('StoreEngine', () => {
  it('keeps each store of each task in <stateDir>/<appId>/<taskId>/<storeName>', async () => {
    const engine = await openEngine('balances');
    expect(engine.path).toBe(path.join(stateDir.path, 'saldo', '0_3', 'balances'));
    expect((await stat(engine.path)).isDirectory()).toBe(true);
  });

  it('starts empty, without a checkpoint', async () => {
    const engine = await openEngine();
    expect(engine.readCheckpoint()).toBeUndefined();
    expect(engine.getSync(bytes('a'))).toBeUndefined();
    expect(await collect(engine.iterate())).toEqual([]);
  });

  it('applies puts, deletes and the checkpoint of a batch, and a reopened engine reads them all', async () => {
    const engine = await StoreEngine.open(location());
    await engine.writeBatch([put('a', '1'), put('b', '2'), put('c', '3')], 10n);
    await engine.writeBatch([del('b'), put('c', '33')], 12n);
    await engine.close();

    const reopened = await openEngine();
    expect(reopened.readCheckpoint()).toBe(12n);
    expect(text(reopened.getSync(bytes('a')))).toBe('1');
    expect(reopened.getSync(bytes('b'))).toBeUndefined();
    expect(text(reopened.getSync(bytes('c')))).toBe('33');
  });

  it('iterates user keys only, in byte order, within gte/lt, reversed and limited on request', async () => {
    const engine = await openEngine();
    await engine.writeBatch(
      [
        put('b', '2'),
        put('a', '1'),
        put('d', '4'),
        put('c', '3'),
        { key: Buffer.alloc(0), value: bytes('empty') },
      ],
      1n,
    );

    expect(await entries(engine.iterate())).toEqual([
      ['', 'empty'],
      ['a', '1'],
      ['b', '2'],
      ['c', '3'],
      ['d', '4'],
    ]);
    expect(await entries(engine.iterate({ gte: bytes('b'), lt: bytes('d') }))).toEqual([
      ['b', '2'],
      ['c', '3'],
    ]);
    expect(await entries(engine.iterate({ reverse: true, limit: 2 }))).toEqual([
      ['d', '4'],
      ['c', '3'],
    ]);
  });

  it('refuses to move the checkpoint backwards and leaves the state as it was', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', '1')], 100n);
    await expect(engine.writeBatch([put('a', '2')], 99n)).rejects.toThrow(CheckpointRegressionError);
    expect(text(engine.getSync(bytes('a')))).toBe('1');
    expect(engine.readCheckpoint()).toBe(100n);
    await expect(engine.writeBatch([], -1n)).rejects.toThrow(StoreArgumentError);
  });

  it('refuses a second write batch while one is in flight, so checkpoints land in order', async () => {
    const engine = await openEngine();
    const first = engine.writeBatch([put('a', '1')], 1n);
    await expect(engine.writeBatch([put('a', '2')], 2n)).rejects.toThrow(StoreBusyError);
    await first;
    expect(engine.readCheckpoint()).toBe(1n);
  });

  it('reports a store held open elsewhere as a retriable open error', async () => {
    await openEngine();
    const error = await StoreEngine.open(location()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreOpenError);
    expect((error as StoreOpenError).retriable).toBe(true);
    expect((error as StoreOpenError).path).toContain(path.join('0_3', 'balances'));
  });

  it('wipe deletes all state and the checkpoint and leaves the store open and empty', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', '1')], 5n);
    await engine.wipe();
    expect(engine.isOpen).toBe(true);
    expect(engine.readCheckpoint()).toBeUndefined();
    expect(engine.getSync(bytes('a'))).toBeUndefined();
  });

  it('throws StoreClosedError once closed', async () => {
    const engine = await StoreEngine.open(location());
    await engine.close();
    expect(() => engine.getSync(bytes('a'))).toThrow(StoreClosedError);
    await expect(engine.writeBatch([], 1n)).rejects.toThrow(StoreClosedError);
  });

  it('rejects a database of another layout as corrupt, so that it is wiped rather than misread', async () => {
    const foreign = new ClassicLevel(path.join(stateDir.path, 'saldo', '0_3', 'balances'));
    await foreign.put('some', 'thing');
    await foreign.close();
    await expect(StoreEngine.open(location())).rejects.toThrow(StoreCorruptionError);
  });

  it('rejects names that would leave the state directory or are not topic-safe', async () => {
    await expect(StoreEngine.open(location('..'))).rejects.toThrow(StoreArgumentError);
    await expect(StoreEngine.open({ ...location(), taskId: '0/3' })).rejects.toThrow(StoreArgumentError);
  });

  it('after a process is killed mid-write, the state on disk is exactly what its checkpoint covers', async () => {
    const writer = spawn(
      process.execPath,
      [fileURLToPath(new URL('fixtures/kill-writer.ts', import.meta.url)), stateDir.path],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise((resolve) => writer.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      writer.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve();
      });
      writer.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    writer.kill('SIGKILL');
    await exited;

    const engine = await StoreEngine.open({
      stateDir: stateDir.path,
      appId: 'app',
      taskId: '0_0',
      storeName: 'counter',
    });
    stateDir.closeAfter(engine);
    const checkpoint = engine.readCheckpoint();
    expect(checkpoint).toBeGreaterThan(200n);
    const lastBatch = Number((checkpoint as bigint) - 1n);
    expect(text(engine.getSync(bytes('counter')))).toBe(String(lastBatch));
    expect(engine.getSync(bytes(`k${lastBatch}`))).toBeDefined();
    expect(engine.getSync(bytes(`k${lastBatch - 1}`))).toBeUndefined();
  });
});
