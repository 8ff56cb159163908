import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClassicLevel } from 'classic-level';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

describe('StoreEngine read cache', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers repeated reads of a key, present or absent, from memory instead of LevelDB', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', '1')], 1n);
    const levelGets = vi.spyOn(ClassicLevel.prototype, 'getSync');
    for (let i = 0; i < 3; i++) {
      expect(text(engine.getSync(bytes('a')))).toBe('1');
      expect(engine.getSync(bytes('missing'))).toBeUndefined();
    }
    expect(levelGets).toHaveBeenCalledTimes(2);
    expect(engine.cacheStats).toMatchObject({ entries: 2, hits: 4, misses: 2 });
  });

  it('hands out a new Buffer for every read, so that a caller changing one changes nothing else', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', 'value')], 1n);
    const first = engine.getSync(bytes('a')) as Buffer;
    first.fill(0);
    expect(text(engine.getSync(bytes('a')))).toBe('value');
  });

  it('a write batch brings cached keys up to date: with cacheWrites it caches the new values', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', '1'), put('b', '2')], 1n);
    engine.getSync(bytes('a'));
    engine.getSync(bytes('b'));
    await engine.writeBatch([put('a', '11'), del('b'), put('c', '3')], 2n, { cacheWrites: true });
    const levelGets = vi.spyOn(ClassicLevel.prototype, 'getSync');
    expect(text(engine.getSync(bytes('a')))).toBe('11');
    expect(engine.getSync(bytes('b'))).toBeUndefined();
    expect(text(engine.getSync(bytes('c')))).toBe('3');
    expect(levelGets).not.toHaveBeenCalled();
  });

  it('a write batch without cacheWrites (a restore) drops the cached keys it writes', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', '1'), put('b', '2')], 1n);
    engine.getSync(bytes('a'));
    engine.getSync(bytes('b'));
    await engine.writeBatch([put('a', '11'), del('b')], 2n);
    expect(engine.cacheStats.entries).toBe(0);
    expect(text(engine.getSync(bytes('a')))).toBe('11');
    expect(engine.getSync(bytes('b'))).toBeUndefined();
  });

  it('forgets everything cached when a batch fails, since LevelDB then decides what is true', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', '1')], 1n);
    engine.getSync(bytes('a'));
    const batch = ClassicLevel.prototype.batch;
    vi.spyOn(ClassicLevel.prototype, 'batch').mockImplementation(function (
      this: ClassicLevel<Buffer, Buffer>,
    ) {
      const chained = batch.call(this);
      vi.spyOn(chained, 'write').mockRejectedValue(new Error('disk full'));
      return chained;
    } as typeof batch);
    await expect(engine.writeBatch([put('a', '2')], 2n, { cacheWrites: true })).rejects.toThrow(/writeBatch/);
    expect(engine.cacheStats.entries).toBe(0);
    expect(engine.readCheckpoint()).toBe(1n);
    expect(text(engine.getSync(bytes('a')))).toBe('1');
  });

  it('forgets everything cached when the store is wiped', async () => {
    const engine = await openEngine();
    await engine.writeBatch([put('a', '1')], 1n);
    engine.getSync(bytes('a'));
    await engine.wipe();
    expect(engine.getSync(bytes('a'))).toBeUndefined();
  });

  it('is bounded by cacheMaxBytes: 0 turns it off, resizing evicts, and sizes must be whole and not negative', async () => {
    const off = stateDir.closeAfter(await StoreEngine.open(location('off'), { cacheMaxBytes: 0 }));
    await off.writeBatch([put('a', '1')], 1n);
    expect(off.getSync(bytes('a'))).toEqual(Buffer.from('1'));
    expect(off.getSync(bytes('b'))).toBeUndefined();
    // Off means untouched: no lookups counted, no copy of a value kept (reads of the product's stores).
    expect(off.cacheStats).toMatchObject({ entries: 0, bytes: 0, hits: 0, misses: 0 });

    const engine = await openEngine();
    await engine.writeBatch(
      Array.from({ length: 50 }, (_, i) => put(`k${i}`, 'v'.repeat(100))),
      1n,
      { cacheWrites: true },
    );
    expect(engine.cacheStats.entries).toBe(50);
    engine.resizeCache(2_000);
    expect(engine.cacheStats.bytes).toBeLessThanOrEqual(2_000);
    expect(engine.cacheStats.entries).toBeLessThan(50);

    await expect(StoreEngine.open(location('bad'), { cacheMaxBytes: -1 })).rejects.toThrow(
      StoreArgumentError,
    );
    expect(() => engine.resizeCache(1.5)).toThrow(StoreArgumentError);
  });
});
