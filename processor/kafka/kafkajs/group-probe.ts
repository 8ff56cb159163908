import type { ConsumerGroupJoinEvent, Kafka } from 'kafkajs';
import {
  decodeAssignment,
  type AssignmentInfo,
  type OperatorInfo,
} from '../../assignment/assignment-info.ts';
import { RebalanceProbeError } from '../../errors.ts';
import type { ProbeAssignerSettings } from '../client.ts';
import { stateAwareAssigner } from './assigner.ts';

/** How long a probe waits to be let into the group: the members finish their batches first. */
const JOIN_TIMEOUT_MS = 60_000;

/**
 * Joins the group as an operator's probe (it subscribes like a member, with the same protocol, and
 * is handed no partition), which starts a rebalance; returns the leader's plan for that generation,
 * then leaves (a second rebalance, with the probe gone). kafkajs has no way to ask a running
 * member to rejoin, and a joining member is what makes every member rejoin.
 */
export async function probeGroup(
  kafka: Kafka,
  groupId: string,
  topics: readonly string[],
  info: OperatorInfo,
  assigner: ProbeAssignerSettings,
): Promise<AssignmentInfo> {
  const consumer = kafka.consumer({
    groupId,
    partitionAssigners: [stateAwareAssigner({ subscription: () => info, ...assigner })],
    readUncommitted: false,
    allowAutoTopicCreation: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    rebalanceTimeout: JOIN_TIMEOUT_MS,
  });
  let settle: (result: AssignmentInfo | Error) => void = () => undefined;
  const joined = new Promise<AssignmentInfo | Error>((resolve) => (settle = resolve));
  consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) => {
    const payload = event.payload as typeof event.payload & { memberAssignmentUserData?: Buffer | null };
    settle(decodeAssignment(payload.memberAssignmentUserData));
  });
  consumer.on(consumer.events.CRASH, (event) => settle(event.payload.error));
  const timer = setTimeout(
    () =>
      settle(
        new RebalanceProbeError(`not let into group ${groupId} within ${JOIN_TIMEOUT_MS} ms`, { groupId }),
      ),
    JOIN_TIMEOUT_MS,
  );
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: false });
    await consumer.run({ autoCommit: false, eachBatch: async () => undefined });
    const result = await joined;
    if (result instanceof Error) {
      throw result instanceof RebalanceProbeError
        ? result
        : new RebalanceProbeError(
            `probe of group ${groupId} failed: ${result.message}`,
            { groupId },
            { cause: result },
          );
    }
    return result;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
}
