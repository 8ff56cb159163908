import { readExpectedBalances } from '../../cli/generate/index.ts';
import { checkBalances, type BalancesCheck } from '../../cli/verify/balances-check.ts';
import { services } from './services.ts';

/**
 * `saldo verify`'s check on the test services: every account the generator wrote to
 * `expectedPath` has its expected balances on the balances topic and in Redis (under the prefix).
 */
export async function checkExpectedBalances(
  expectedPath: string,
  where: { balancesTopic: string; redisKeyPrefix: string },
): Promise<BalancesCheck> {
  return checkBalances({
    expected: await readExpectedBalances(expectedPath),
    brokers: services().kafkaBrokers,
    registryUrl: services().schemaRegistryUrl,
    redisUrl: services().redisUrl,
    redisKeyPrefix: where.redisKeyPrefix,
    balancesTopic: where.balancesTopic,
  });
}
