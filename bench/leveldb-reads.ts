/**
 * What LevelDB's table options cost the product's point reads: the stores one product task leaves
 * after bench/pipeline-core.ts's run, copied into fresh databases with each option set, compacted,
 * then read at random keys (getSync, as the stores read), the sets interleaved round by round so
 * that the machine's drift hits them alike. Prints each store's size on disk and µs per read.
 *
 *   node bench/leveldb-reads.ts [--transactions 200000] [--accounts 125000] [--reads 20000] [--rounds 10]
 *
 * Its figures chose the stores' options (docs/operations.md, "What the RSS holds").
 */
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClassicLevel } from 'classic-level';
import { positiveInt } from './args.ts';
import { runPipelineCore } from './pipeline-core.ts';

interface TableOptions {
  readonly label: string;
  readonly compression: boolean;
  readonly blockSize: number;
}

const OPTION_SETS: readonly TableOptions[] = [
  { label: 'snappy, 4 KiB blocks (LevelDB default, saldo)', compression: true, blockSize: 4096 },
  { label: 'snappy, 2 KiB blocks', compression: true, blockSize: 2048 },
  { label: 'snappy, 1 KiB blocks', compression: true, blockSize: 1024 },
  { label: 'no compression, 4 KiB blocks', compression: false, blockSize: 4096 },
];

const STORES = ['balances', 'holds', 'transaction-ids'];

type Db = ClassicLevel<Buffer, Buffer>;

const open = async (path: string, options: Partial<TableOptions> = {}): Promise<Db> => {
  const db = new ClassicLevel<Buffer, Buffer>(path, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
    // As the product gives its per-record stores (state/memory-budget.ts).
    cacheSize: 128 * 1024,
    writeBufferSize: 2 * 1024 * 1024,
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.blockSize === undefined ? {} : { blockSize: options.blockSize }),
  });
  await db.open();
  return db;
};

async function tableBytes(path: string): Promise<number> {
  let bytes = 0;
  for (const file of await readdir(path))
    if (file.endsWith('.ldb')) bytes += (await stat(join(path, file))).size;
  return bytes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      transactions: { type: 'string' },
      accounts: { type: 'string' },
      reads: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const reads = positiveInt('reads', values.reads, 20_000);
  const rounds = positiveInt('rounds', values.rounds, 10);
  const work = await mkdtemp(join(tmpdir(), 'saldo-bench-leveldb-reads-'));
  try {
    const transactions = positiveInt('transactions', values.transactions, 200_000);
    const accounts = positiveInt('accounts', values.accounts, 125_000);
    await runPipelineCore(transactions, accounts, { stateDir: join(work, 'product') });
    const taskDir = join(work, 'product', 'bench-core', '0_0');
    console.log(
      `## LevelDB table options, one product task's stores (${transactions.toLocaleString('en-US')} transactions, ${accounts.toLocaleString('en-US')} accounts)\n`,
    );
    console.log('| store | options | MB on disk | µs per read |\n| --- | --- | ---: | ---: |');
    for (const store of STORES) {
      const source = await open(join(taskDir, store));
      const entries: Array<[Buffer, Buffer]> = [];
      for await (const entry of source.iterator()) entries.push(entry);
      await source.close();
      const copies: Db[] = [];
      for (const [i, options] of OPTION_SETS.entries()) {
        const db = await open(join(work, `${store}-${i}`), options);
        for (let at = 0; at < entries.length; at += 1_000) {
          const batch = db.batch();
          for (const [key, value] of entries.slice(at, at + 1_000)) batch.put(key, value);
          await batch.write();
        }
        await db.compactRange(Buffer.alloc(0), Buffer.alloc(64, 0xff));
        copies.push(db);
      }
      const nanos = OPTION_SETS.map(() => 0n);
      for (let round = 0; round < rounds; round++) {
        for (const [i, db] of copies.entries()) {
          const started = process.hrtime.bigint();
          for (let r = 0; r < reads; r++)
            db.getSync((entries[Math.floor(Math.random() * entries.length)] as [Buffer, Buffer])[0]);
          nanos[i] = (nanos[i] as bigint) + process.hrtime.bigint() - started;
        }
      }
      for (const [i, options] of OPTION_SETS.entries()) {
        const micros = Number(nanos[i]) / 1_000 / (reads * rounds);
        const mb = (await tableBytes(join(work, `${store}-${i}`))) / 1e6;
        console.log(
          `| ${store} (${entries.length.toLocaleString('en-US')} entries) | ${options.label} | ${mb.toFixed(1)} | ${micros.toFixed(2)} |`,
        );
      }
      for (const db of copies) await db.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
