import { describe, expect, it } from 'vitest';
import {
  TopologyBuilder,
  recordSerde,
  type ProcessorContext,
  type StreamRecord,
} from '../../../processor/index.ts';
import type { ConsumedRecord } from '../../../processor/records.ts';
import { jsonSerde, stringSerde } from '../../../state/index.ts';
import { runningTask } from './task-fixture.ts';

const strings = recordSerde(stringSerde, 'string');

function consumed(offset: number, value: string): ConsumedRecord {
  return {
    topic: 'in',
    partition: 0,
    offset,
    timestamp: 1_000 + offset,
    key: Buffer.from('k'),
    value: Buffer.from(JSON.stringify(value)),
    headers: {},
  };
}

describe('a punctuation that fails', () => {
  it('leaves nothing behind: what its processors forwarded before the failure is never sent', async () => {
    // `tick` punctuates on stream time and forwards; `relay` forwards what it gets, then throws
    // on a tick: the punctuation rolls back, and the relay's forward must not reach a later record.
    const topology = new TopologyBuilder()
      .addSource('in', {
        topics: ['in'],
        keySerde: strings,
        valueSerde: recordSerde(jsonSerde<string>(), 'json'),
      })
      .addProcessor('tick', {
        parents: ['in'],
        create: () => ({
          init(ctx: ProcessorContext<string, string>) {
            ctx.schedule(10, 'stream-time', () => ctx.forward({ key: 'k', value: 'tick' }));
          },
          process(record: StreamRecord<string, string>, ctx: ProcessorContext<string, string>) {
            ctx.forward({ key: record.key, value: record.value });
          },
        }),
      })
      .addProcessor('relay', {
        parents: ['tick'],
        create: () => ({
          process(record: StreamRecord<string, string>, ctx: ProcessorContext<string, string>) {
            ctx.forward({ key: record.key, value: record.value });
            if (record.value === 'tick') throw new Error('relay refuses ticks');
          },
        }),
      })
      .addSink('out', { parents: ['relay'], topic: 'out', keySerde: strings, valueSerde: strings })
      .build();
    const { task, unit, metrics } = await runningTask(topology);
    await task.process(consumed(0, 'a')); // stream time 1,000: the first deadline is 1,010
    await task.process(consumed(20, 'b')); // 1,020: the tick fails in the relay
    await task.process(consumed(21, 'c'));
    await task.commit();
    const outputs = unit.commits[0]?.records.filter((r) => r.topic === 'out') ?? [];
    expect(outputs.map((r) => r.value?.toString())).toEqual(['a', 'b', 'c']);
    expect((await metrics.punctuationErrors.get()).values.map((v) => v.value)).toEqual([1]);
  });
});
