import { describe, expect, it } from 'vitest';
import { appStatus, formatAppStatus, type StatusInputs } from '../../../../cli/status/group-status.ts';
import { encodeInfo } from '../../../../processor/assignment/assignment-info.ts';
import { DEFAULT_ASSIGNOR_SETTINGS } from '../../../../processor/assignment/group-plan.ts';

/** pod-a's member: tasks 0 and 2, a standby of 1 read up to offset 70; its query endpoint if given. */
const podASubscription = (endpoint?: string) =>
  encodeInfo({
    processId: 'pod-a',
    ...(endpoint === undefined ? {} : { endpoint }),
    active: [0, 2],
    standby: [1],
    taskOffsetSums: { '1': 70 },
    draining: false,
    settings: DEFAULT_ASSIGNOR_SETTINGS,
    rejoins: 0,
  });

const base: StatusInputs = {
  applicationId: 'bank',
  group: {
    groupId: 'bank',
    state: 'Stable',
    members: [
      {
        memberId: 'm-a',
        clientId: 'bank-a',
        host: '/10.0.0.1',
        assignment: { tx: [2, 0], limits: [2, 0] },
        subscriptionUserData: podASubscription(),
        assignmentUserData: encodeInfo({ standby: [1], warmup: [], activeEndpoints: {}, drain: false }),
      },
      {
        memberId: 'm-b',
        clientId: 'bank-b',
        host: '/10.0.0.2',
        assignment: { tx: [1], limits: [1] },
        subscriptionUserData: null,
        assignmentUserData: null,
      },
    ],
  },
  inputPartitions: [0, 1, 2].map((partition) => ({ topic: 'tx', partition })),
  missingInputs: ['limits'],
  committed: new Map([
    ['tx:0', { offset: 100 }],
    ['tx:1', { offset: 5 }],
  ]),
  ranges: new Map([
    ['tx:0', { start: 0, end: 130 }],
    ['tx:1', { start: 40, end: 50 }],
    ['tx:2', { start: 7, end: 20 }],
  ]),
  deadLetterTopic: 'bank-dlq',
  deadLetterRecords: 5,
  taskEndOffsetSums: new Map([
    [0, 10],
    [1, 100],
    [2, 10],
  ]),
};

describe('saldo status, from what Kafka says', () => {
  it('names each member’s tasks by partition number, in order, and which task owns each input partition', () => {
    const status = appStatus(base);
    expect(status.group.members.map((m) => [m.clientId, m.activeTasks])).toEqual([
      ['bank-a', ['0_0', '0_2']],
      ['bank-b', ['0_1']],
    ]);
    expect(status.inputs.map((p) => p.task)).toEqual(['0_0', '0_1', '0_2']);
  });

  it('names each member’s instance, standbys and how far each standby is behind its changelogs', () => {
    const [a, b] = appStatus(base).group.members;
    expect(a).toMatchObject({ instance: 'pod-a', standbyTasks: ['0_1'], standbyLag: { '0_1': 30 } });
    // A member that says nothing readable (an older version) is an instance of its own, without standbys.
    expect(b).toMatchObject({ instance: 'm-b', standbyTasks: [], standbyLag: {} });
  });

  it('says which active tasks are restoring where the instance told, and "unknown" where it did not', () => {
    const withEndpoint = {
      ...base,
      group: {
        ...base.group,
        members: base.group.members.map((m, i) =>
          i === 0
            ? {
                ...m,
                subscriptionUserData: podASubscription('pod-a:8080'),
              }
            : m,
        ),
      },
      restores: new Map([['pod-a:8080', { '0_2': 1500, '0_9': 3 }]]),
    };
    const [a, b] = appStatus(withEndpoint).group.members;
    expect(a?.restoring).toEqual({ '0_2': 1500 });
    expect(b?.restoring).toBeNull();
    expect(formatAppStatus(appStatus(withEndpoint))).toContain(
      'active:  0_0 0_2  restoring: 0_2 (1500 records left)',
    );
  });

  it('measures lag from the committed offset, or from the log start when nothing or less is left', () => {
    const status = appStatus(base);
    // committed 100 of 130; committed 5 but the log starts at 40 (retention): 10 left; none committed: 13.
    expect(status.inputs.map((p) => [p.committed, p.lag])).toEqual([
      [100, 30],
      [5, 10],
      [null, 13],
    ]);
    expect(status.totalLag).toBe(53);
    expect(status.missingInputs).toEqual(['limits']);
  });

  it('reports the dead letters still on their topic, and says when the topic does not exist', () => {
    expect(appStatus(base).deadLetters).toEqual({ topic: 'bank-dlq', records: 5, exists: true });
    expect(appStatus({ ...base, deadLetterRecords: undefined }).deadLetters).toEqual({
      topic: 'bank-dlq',
      records: 0,
      exists: false,
    });
  });

  it('prints the same for a terminal', () => {
    const text = formatAppStatus(appStatus(base));
    expect(text).toContain('application bank: group Stable, 2 member(s)');
    expect(text).toContain('pod-a  bank-a /10.0.0.1\n    active:  0_0 0_2\n    standby: 0_1');
    expect(text).toContain('standby restore lag (records): 0_1:30');
    expect(text).toContain('total lag 53');
    expect(text).toContain('input topic limits does not exist');
    expect(text).toContain('dead letters: 5 in bank-dlq');
  });
});
