import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type { PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaCompatiblePartitioner } from '../../../processor/kafka/kafkajs/partitioner.ts';
import { murmur2, partitionForKey } from '../../../processor/kafka/wire/key-partitioning.ts';

const require = createRequire(import.meta.url);
// kafkajs' own (Long-based) murmur2, the reference our fast one must equal bit for bit.
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer,
) => number;

function partitions(count: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));
}

describe('murmur2', () => {
  it("equals the Java client's Utils.murmur2 on Kafka's own test vectors", () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, hash] of vectors) expect(murmur2(Buffer.from(text))).toBe(hash);
  });

  it("equals kafkajs' murmur2 for random keys of every length up to 64 bytes", () => {
    for (let length = 0; length <= 64; length++) {
      for (let i = 0; i < 20; i++) {
        const key = randomBytes(length);
        expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      }
    }
  });
});

describe('javaCompatiblePartitioner', () => {
  const metadata = partitions(8);

  it('keeps an explicit partition', () => {
    const pick = javaCompatiblePartitioner();
    expect(
      pick({ topic: 't', partitionMetadata: metadata, message: { key: 'k', value: null, partition: 5 } }),
    ).toBe(5);
  });

  it("hashes keys to the partitions kafkajs' default partitioner picks", () => {
    const pick = javaCompatiblePartitioner();
    for (let i = 0; i < 200; i++) {
      const key = Buffer.from(`account-${i}`);
      const expected = (kafkajsMurmur2(key) & 0x7fffffff) % 8;
      expect(pick({ topic: 't', partitionMetadata: metadata, message: { key, value: null } })).toBe(expected);
      expect(
        pick({ topic: 't', partitionMetadata: metadata, message: { key: `account-${i}`, value: null } }),
      ).toBe(expected);
      expect(partitionForKey(key, 8)).toBe(expected);
    }
  });

  it('spreads keyless records round robin over partitions that have a leader', () => {
    const pick = javaCompatiblePartitioner();
    const withGaps = partitions(4, [1, 3]);
    const seen = new Map<number, number>();
    for (let i = 0; i < 100; i++) {
      const p = pick({ topic: 't', partitionMetadata: withGaps, message: { key: null, value: null } });
      seen.set(p, (seen.get(p) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual([0, 2]);
    expect(seen.get(0)).toBe(50);
  });
});
