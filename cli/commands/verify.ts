import { jsonWithBigints, validateStreamsConfig } from '../../processor/index.ts';
import { streamsConfigFrom, type RunFlags } from '../env-config.ts';
import { readExpectedBalances } from '../generate/index.ts';
import { productConfigFrom, type ProductFlags } from '../product-config.ts';
import { checkBalances, type BalancesCheck, type Mismatch } from '../verify/balances-check.ts';

export interface VerifyFlags extends RunFlags, ProductFlags {
  expected: string;
  json?: boolean;
}

/**
 * `saldo verify --expected <file>`: every account of the file (from `saldo generate --expected`)
 * against its latest snapshot on the balances topic and its hash in Redis.
 */
export async function verifyCommand(flags: VerifyFlags): Promise<BalancesCheck> {
  const engine = validateStreamsConfig(streamsConfigFrom(process.env, flags));
  const product = productConfigFrom(process.env, flags);
  return checkBalances({
    expected: await readExpectedBalances(flags.expected),
    brokers: engine.brokers,
    registryUrl: product.schemaRegistryUrl,
    redisUrl: product.redisUrl,
    redisKeyPrefix: product.redisKeyPrefix,
    balancesTopic: product.topics.balances,
    clientId: `${engine.applicationId}-verify`,
    kafkaSecurity: engine.kafkaSecurity,
    registrySecurity: product.registrySecurity,
    redisSecurity: product.redisSecurity,
  });
}

const amounts = (balances: Mismatch['expected'] | undefined): string =>
  balances === undefined
    ? 'missing'
    : balances.map((b) => `${b.currency} ${b.ledgerMinor}/${b.heldMinor}/${b.availableMinor}`).join(', ');

/** The check for people: one line per place, and the first mismatches. */
export function formatCheck(check: BalancesCheck, limit = 5): string {
  const lines: string[] = [];
  for (const [place, result] of [
    ['Redis', check.redis],
    ['balances topic', check.topic],
  ] as const) {
    const ok = result.mismatches.length === 0;
    lines.push(
      `${ok ? 'OK  ' : 'FAIL'} ${place}: ${result.matched} of ${check.accounts} accounts as expected`,
    );
    for (const mismatch of result.mismatches.slice(0, limit)) {
      lines.push(
        `       ${mismatch.accountId}: expected ${amounts(mismatch.expected)} (ledger/held/available), found ${amounts(mismatch.actual)}`,
      );
    }
  }
  return lines.join('\n');
}

/** JSON for tools: counts and mismatches, amounts as strings. */
export function checkAsJson(check: BalancesCheck): string {
  return jsonWithBigints({ accounts: check.accounts, redis: check.redis, topic: check.topic });
}
