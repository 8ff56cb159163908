import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { services, uniqueName } from '../support/services.ts';

describe('Redis serves as the balance cache', () => {
  const redis = new Redis(services().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  afterAll(async () => {
    await redis.quit();
  });

  it('round-trips a hash with integer minor units and expires it', async () => {
    await redis.connect();
    const key = `balance:${uniqueName('acct')}:MXN`;
    await redis.hset(key, { ledgerMinor: '1250075', heldMinor: '4500', currency: 'MXN' });
    await redis.pexpire(key, 60_000);

    const read = await redis.hgetall(key);
    expect(read).toEqual({ ledgerMinor: '1250075', heldMinor: '4500', currency: 'MXN' });
    expect(BigInt(read.ledgerMinor ?? '0') - BigInt(read.heldMinor ?? '0')).toBe(1245575n);
    expect(await redis.pttl(key)).toBeGreaterThan(0);

    await redis.del(key);
    expect(await redis.exists(key)).toBe(0);
  });
});
