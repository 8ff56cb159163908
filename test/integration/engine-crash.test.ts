import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import { changelogTopicFor } from '../../processor/internal-topics.ts';
import { StateManager } from '../../state/index.ts';
import { countingTopology, type AccountTotals } from '../../topologies/counting.ts';
import { checkOutputs, generateTransactions, parseTotals, referenceTotals } from '../support/counting.ts';
import { InstanceProcess, waitUntil, type LogLine } from '../support/instance-process.ts';
import {
  groupCommittedOffsets,
  produceFlowing,
  readCommittedToEnd,
  topicEndOffsets,
  waitForInputCommitted,
} from '../support/instance-kafka.ts';
import { createTopic } from '../support/kafka.ts';
import { useInstanceWorkspace } from '../support/instance-workspace.ts';
import { services, uniqueName } from '../support/services.ts';

const PARTITIONS = 4;
const CRASHES = 20;
const ACCOUNTS = 50;

describe('crash safety: SIGKILL at random moments while input flows', () => {
  const ws = useInstanceWorkspace('crash', { stopInstancesAfter: 'all' });
  const appId = uniqueName('crash');
  const topics = { input: `${appId}-in`, output: `${appId}-out` };
  const instances: InstanceProcess[] = [];
  let sessionTimeoutMs = 6_000;

  beforeAll(async () => {
    sessionTimeoutMs = Math.max(3_000, await brokerMinSessionTimeoutMs(ws.admin));
    await createTopic(ws.kafka, topics.input, PARTITIONS);
    await createTopic(ws.kafka, topics.output, PARTITIONS);
  });

  const spawn = () => {
    const instance = InstanceProcess.spawn({
      name: `crashy-${instances.length}`,
      appId,
      input: topics.input,
      output: topics.output,
      stateDir: join(ws.root, 'state'),
      logDir: ws.root,
      brokers: services().kafkaBrokers,
      // A killed member stays in the group until its session times out: keep that as short as the
      // broker allows (the project's platform allows 1 s; a default broker 6 s).
      env: { SALDO_SESSION_TIMEOUT_MS: String(sessionTimeoutMs), SALDO_HEARTBEAT_INTERVAL_MS: '1000' },
    });
    instances.push(instance);
    return instance;
  };

  it(`loses nothing and counts nothing twice over ${CRASHES} crashes, restoring only changelog tails`, async () => {
    // The input keeps flowing through all crashes (10 records every 0.3 s); the rest follows at once.
    const txs = generateTransactions(8_000, ACCOUNTS, 21);
    let produced = false;
    let crashing = true;
    const flowing = produceFlowing(ws.kafka, topics.input, txs, {
      chunk: 10,
      pauseMs: 300,
      keepPacing: () => crashing,
    }).then(() => (produced = true));
    const committedSoFar = async () =>
      [...(await groupCommittedOffsets(ws.admin, appId, topics.input)).values()].reduce(
        (a, b) => a + Math.max(b, 0),
        0,
      );
    const restores: LogLine[] = [];
    let seed = 99;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 1000) / 1000;

    for (let crash = 0; crash < CRASHES; crash++) {
      const before = await committedSoFar();
      const instance = spawn();
      // Crash at a random moment once the instance is committing work: while processing, between a
      // Kafka commit and the local flush, or (on odd crashes) as soon as it starts restoring.
      if (crash % 2 === 1) {
        await instance.waitForLine((l) => typeof l.msg === 'string' && /restoring/.test(l.msg), {
          timeoutMs: 90_000,
          what: `crash ${crash}: a task to start`,
        });
      } else {
        await waitUntil(
          async () => (await committedSoFar()) > before || (produced && before === txs.length),
          {
            timeoutMs: 90_000,
            pollMs: 100,
            what: `crash ${crash}: the instance to commit`,
            instances: [instance],
          },
        );
      }
      await new Promise((r) => setTimeout(r, random() * 1_000));
      await instance.kill();
      restores.push(...instance.lines.filter((l) => l.msg === 'restore complete'));
      console.error(
        `[crash] ${crash + 1}/${CRASHES} killed ${instance.name}; committed input so far: ${await committedSoFar()}/${txs.length}`,
      );
    }
    crashing = false;
    await flowing;

    const survivor = spawn();
    await waitForInputCommitted(ws.admin, {
      groupId: appId,
      topic: topics.input,
      expectedRecords: txs.length,
      timeoutMs: 180_000,
      instances: [survivor],
    });
    const exit = await survivor.stop();
    expect(exit.code).toBe(0);
    restores.push(...survivor.lines.filter((l) => l.msg === 'restore complete'));

    // Outputs: every input produced exactly one committed update, and the totals are exact.
    const outputs = await readCommittedToEnd(ws.kafka, ws.admin, topics.output);
    const reference = referenceTotals(txs);
    expect(
      checkOutputs(
        outputs.map((r) => parseTotals(r.key ?? '', r.value ?? '')),
        reference,
      ),
    ).toEqual([]);
    expect(outputs).toHaveLength(txs.length);

    // Store contents: the local stores, as the last instance left them, equal the reference.
    const topology = countingTopology(topics);
    const totalsDef = topology.stores.get('totals');
    const fromStores = new Map<string, { count: number; sumMinor: bigint }>();
    for (let p = 0; p < PARTITIONS; p++) {
      const state = await StateManager.open({
        appId,
        taskId: `0_${p}`,
        stateDir: join(ws.root, 'state'),
        stores: [{ name: 'totals', kind: 'key-value' }],
      });
      const store = state.keyValueStore('totals', totalsDef!.keySerde, totalsDef!.valueSerde);
      for await (const [key, value] of store.range(undefined, undefined)) {
        const totals = value as AccountTotals;
        fromStores.set(key as string, { count: totals.count, sumMinor: totals.sumMinor });
      }
      await state.close();
    }
    expect(fromStores).toEqual(reference);

    // No full restore after a crash: local state survives every SIGKILL, and a restore replays at
    // most the one commit that reached Kafka but not LevelDB — at most one record per key.
    const changelogSize = [
      ...(await topicEndOffsets(ws.admin, changelogTopicFor(appId, 'totals'))).values(),
    ].reduce((a, b) => a + b, 0);
    const restoredTotals = restores.map((l) => Number(l.total));
    expect(restoredTotals.every((n) => n <= ACCOUNTS * 2)).toBe(true);
    expect(restoredTotals.reduce((a, b) => a + b, 0)).toBeLessThan(changelogSize / 10);
    console.error(
      `[crash] ${CRASHES} crashes; restores: ${JSON.stringify(restoredTotals)}; changelog records: ${changelogSize}`,
    );
  }, 600_000);
});

async function brokerMinSessionTimeoutMs(admin: Admin): Promise<number> {
  const { brokers } = await admin.describeCluster();
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [
      {
        type: ConfigResourceTypes.BROKER,
        name: String(brokers[0]?.nodeId ?? 1),
        configNames: ['group.min.session.timeout.ms'],
      },
    ],
  });
  return Number(described.resources[0]?.configEntries[0]?.configValue ?? 6_000);
}
