import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

interface GroupArgs {
  topic: string;
  partitionMetadata: unknown[];
  messages: Array<{ partition: number; value: string }>;
  partitioner: (args: { message: { partition: number } }) => number;
}
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition.js') as (
  args: GroupArgs,
) => Record<string, Array<{ value: string }>>;

// scripts/patches/kafkajs+2.2.4.patch is applied by `npm install` (postinstall, patch-package).
describe('patched kafkajs groupMessagesPerPartition', () => {
  it('groups messages per partition in one pass, keeping their order', () => {
    const messages = Array.from({ length: 2_000 }, (_, i) => ({ partition: i % 2, value: `m${i}` }));
    // Unpatched kafkajs spreads the partition's array for every message (`[...current, message]`),
    // which takes the array iterator once per message; the patch iterates once in all.
    const iterate = Object.getOwnPropertyDescriptor(Array.prototype, Symbol.iterator);
    const original = Array.prototype[Symbol.iterator];
    let iterations = 0;
    Object.defineProperty(Array.prototype, Symbol.iterator, {
      ...iterate,
      value: function (this: unknown[]) {
        iterations++;
        return original.call(this);
      },
    });
    let grouped: Record<string, Array<{ value: string }>>;
    try {
      grouped = groupMessagesPerPartition({
        topic: 't',
        partitionMetadata: [{}, {}],
        messages,
        partitioner: ({ message }) => message.partition,
      });
    } finally {
      if (iterate) Object.defineProperty(Array.prototype, Symbol.iterator, iterate);
    }
    expect(iterations).toBeLessThanOrEqual(1);
    expect(Object.keys(grouped)).toEqual(['0', '1']);
    expect(grouped['0']?.length).toBe(1_000);
    expect(grouped['1']?.slice(0, 3).map((m) => m.value)).toEqual(['m1', 'm3', 'm5']);
    expect(grouped['1']?.at(-1)?.value).toBe('m1999');
  });

  it('returns no groups when the topic has no partition metadata', () => {
    expect(
      groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages: [], partitioner: () => 0 }),
    ).toEqual({});
  });
});
