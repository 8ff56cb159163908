import { Redis } from 'ioredis';
import type { PostCommitHook } from '../../processor/index.ts';
import type { AccountTotals } from '../../topologies/counting.ts';

/**
 * A post-commit hook source for stream-thread tests: writes each committed totals update to Redis
 * under `<keyPrefix>:<account>|<currency>`, in order, so that the last write per key is its final
 * total. Built inside each stream thread, with its own connection.
 */
export function redisTotalsHook(args: { redisUrl: string; keyPrefix: string }): PostCommitHook {
  const redis = new Redis(args.redisUrl);
  return async ({ outputs }) => {
    const pipeline = redis.pipeline();
    for (const o of outputs) {
      const totals = o.value as AccountTotals;
      pipeline.hset(`${args.keyPrefix}:${o.key as string}|${totals.currency}`, {
        count: String(totals.count),
        sumMinor: totals.sumMinor.toString(),
      });
    }
    await pipeline.exec();
  };
}
