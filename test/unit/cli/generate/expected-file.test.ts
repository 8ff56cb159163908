import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ExpectedBalanceFold,
  ExpectedBalancesFileError,
  TrafficGenerator,
  parseExpectedBalances,
  readExpectedBalances,
  writeExpectedBalances,
} from '../../../../cli/generate/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saldo-expected-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function generatedFold(count: number): ExpectedBalanceFold {
  const traffic = new TrafficGenerator({ accounts: 300, seed: 9, startTime: 0, spacingMs: 1 });
  const fold = new ExpectedBalanceFold();
  for (let i = 0; i < count; i++) fold.apply(traffic.next().record);
  return fold;
}

describe('the expected balances file', () => {
  it('reads back exactly the balances the fold wrote', async () => {
    const balances = generatedFold(10_000).balances();
    const path = join(dir, 'nested', 'expected.jsonl');
    await writeExpectedBalances(path, balances);
    const read = await readExpectedBalances(path);
    expect(read).toEqual(balances);
    expect([...read.keys()]).toEqual([...balances.keys()]);
  });

  it('writes one JSON line per account, amounts as decimal strings, currencies in code order', async () => {
    const fold = new ExpectedBalanceFold();
    const base = {
      authorizationId: null,
      channel: 'APP',
      cardId: null,
      merchant: null,
      location: null,
      eventTime: 0,
    };
    fold.apply({
      ...base,
      transactionId: 'b',
      accountId: 'acct-000002',
      type: 'DEPOSIT',
      amountMinor: 5n,
      currency: 'MXN',
    });
    fold.apply({
      ...base,
      transactionId: 'u',
      accountId: 'acct-000001',
      type: 'TRANSFER_IN',
      amountMinor: 2n ** 60n,
      currency: 'USD',
    });
    fold.apply({
      ...base,
      transactionId: 'f',
      accountId: 'acct-000001',
      type: 'FEE',
      amountMinor: 123n,
      currency: 'MXN',
    });
    const path = join(dir, 'expected.jsonl');
    await writeExpectedBalances(path, fold.balances());
    expect(await readFile(path, 'utf8')).toBe(
      '{"accountId":"acct-000001","balances":[' +
        '{"currency":"MXN","ledgerMinor":"-123","heldMinor":"0","availableMinor":"-123"},' +
        '{"currency":"USD","ledgerMinor":"1152921504606846976","heldMinor":"0","availableMinor":"1152921504606846976"}]}\n' +
        '{"accountId":"acct-000002","balances":[{"currency":"MXN","ledgerMinor":"5","heldMinor":"0","availableMinor":"5"}]}\n',
    );
  });

  it('names the line of a file that is not what it should be', () => {
    const good =
      '{"accountId":"a","balances":[{"currency":"MXN","ledgerMinor":"5","heldMinor":"1","availableMinor":"4"}]}';
    expect(parseExpectedBalances(`${good}\n\n`).get('a')?.[0]?.availableMinor).toBe(4n);
    const failure = (text: string) => {
      try {
        parseExpectedBalances(text, 'x.jsonl');
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(failure(`${good}\nnot json`)).toBeInstanceOf(ExpectedBalancesFileError);
    expect(failure(`${good}\nnot json`)).toMatchObject({ line: 2, message: 'x.jsonl:2: not a JSON object' });
    expect(String(failure(good.replace('"5"', '5.5')))).toMatch(/x\.jsonl:1: balances\.0\.ledgerMinor/);
    expect(String(failure(good.replace('"4"', '"3"')))).toMatch(
      /availableMinor 3 is not ledgerMinor − heldMinor/,
    );
    expect(String(failure(`${good}\n${good}`))).toMatch(/x\.jsonl:2: a appears more than once/);
  });
});
