import { describe, expect, it } from 'vitest';
import {
  assignTasks,
  type AssignmentPlan,
  type AssignmentSettings,
  type MemberSubscription,
} from '../../../../processor/assignment/task-assignor.ts';

const member = (memberId: string, over: Partial<MemberSubscription> = {}): MemberSubscription => ({
  memberId,
  processId: memberId,
  active: [],
  standby: [],
  taskOffsetSums: new Map(),
  draining: false,
  ...over,
});

/** 12 tasks, each with 1,000 records of changelog. */
const settings = (over: Partial<AssignmentSettings> = {}): AssignmentSettings => ({
  partitionCount: 12,
  taskEndOffsetSums: new Map(Array.from({ length: 12 }, (_, t) => [t, 1_000])),
  numStandbyReplicas: 1,
  acceptableRecoveryLag: 100,
  maxWarmupReplicas: 2,
  ...over,
});

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const activeOf = (plan: AssignmentPlan, id: string) => plan.members.get(id)?.active ?? [];
const standbyOf = (plan: AssignmentPlan, id: string) => plan.members.get(id)?.standby ?? [];
const warmupOf = (plan: AssignmentPlan, id: string) => plan.members.get(id)?.warmup ?? [];
const allActive = (plan: AssignmentPlan) =>
  [...plan.members.values()].flatMap((m) => m.active).sort((a, b) => a - b);
/** Offsets of a caught-up copy of these tasks. */
const warm = (tasks: number[], sum = 1_000) => new Map(tasks.map((t) => [t, sum]));

describe('assignTasks: balance and stickiness', () => {
  it('gives every task to exactly one member, in proportion to each instance’s threads', () => {
    const plan = assignTasks(
      [
        member('a-0', { processId: 'a' }),
        member('a-1', { processId: 'a' }),
        member('b-0', { processId: 'b' }),
      ],
      settings(),
    );
    expect(allActive(plan)).toEqual(range(0, 12));
    expect(activeOf(plan, 'a-0')).toHaveLength(4);
    expect(activeOf(plan, 'a-1')).toHaveLength(4);
    expect(activeOf(plan, 'b-0')).toHaveLength(4);
    for (const [t, owner] of plan.owners) expect(activeOf(plan, owner)).toContain(t);
  });

  it('keeps every task where it ran when the group does not change', () => {
    const before = [
      member('a', { active: [0, 3, 6, 9], standby: [1, 4, 7, 10] }),
      member('b', { active: [1, 4, 7, 10], standby: [2, 5, 8, 11] }),
      member('c', { active: [2, 5, 8, 11], standby: [0, 3, 6, 9] }),
    ];
    const plan = assignTasks(before, settings());
    expect(activeOf(plan, 'a')).toEqual([0, 3, 6, 9]);
    expect(activeOf(plan, 'b')).toEqual([1, 4, 7, 10]);
    expect(activeOf(plan, 'c')).toEqual([2, 5, 8, 11]);
    expect(standbyOf(plan, 'a')).toEqual([1, 4, 7, 10]);
    expect(plan.warmups).toBe(0);
  });

  it('moves stateless tasks freely: no warm-up for a task without changelogs', () => {
    const plan = assignTasks(
      [member('a', { active: range(0, 6) }), member('b', { active: range(6, 12) }), member('c')],
      settings({ taskEndOffsetSums: new Map() }),
    );
    expect(activeOf(plan, 'c')).toHaveLength(4);
    expect(plan.warmups).toBe(0);
  });
});

describe('assignTasks: standbys', () => {
  it('places one standby of every task on another instance', () => {
    const plan = assignTasks([member('a'), member('b'), member('c')], settings());
    for (let t = 0; t < 12; t++) {
      const holders = ['a', 'b', 'c'].filter((id) => standbyOf(plan, id).includes(t));
      expect(holders).toHaveLength(1);
      expect(holders[0]).not.toBe(plan.owners.get(t));
    }
  });

  it('puts no standby on another thread of the owner’s instance, and none when alone', () => {
    const plan = assignTasks(
      [member('a-0', { processId: 'a' }), member('a-1', { processId: 'a' })],
      settings(),
    );
    expect(standbyOf(plan, 'a-0')).toEqual([]);
    expect(standbyOf(plan, 'a-1')).toEqual([]);
  });

  it('places none with numStandbyReplicas 0', () => {
    const plan = assignTasks([member('a'), member('b')], settings({ numStandbyReplicas: 0 }));
    expect([...plan.members.values()].flatMap((m) => m.standby)).toEqual([]);
  });
});

describe('assignTasks: warm-up moves (KIP-441)', () => {
  const twoOwners = (cOffsets = new Map<number, number>()) => [
    member('a', { active: range(0, 6), standby: range(6, 12), taskOffsetSums: warm(range(6, 12)) }),
    member('b', { active: range(6, 12), standby: range(0, 6), taskOffsetSums: warm(range(0, 6)) }),
    member('c', { standby: [...cOffsets.keys()], taskOffsetSums: cOffsets }),
  ];

  it('a new instance without state first warms up: nobody stops for a restore', () => {
    const plan = assignTasks(twoOwners(), settings());
    expect(activeOf(plan, 'a')).toEqual(range(0, 6));
    expect(activeOf(plan, 'b')).toEqual(range(6, 12));
    expect(activeOf(plan, 'c')).toEqual([]);
    expect(warmupOf(plan, 'c')).toHaveLength(2); // maxWarmupReplicas
    expect(plan.warmups).toBe(2);
    for (const t of warmupOf(plan, 'c')) expect(standbyOf(plan, 'c')).toContain(t);
  });

  it('moves a task once its warm-up has caught up, and warms up the next ones', () => {
    const first = assignTasks(twoOwners(), settings());
    const warmed = warmupOf(first, 'c');
    const plan = assignTasks(twoOwners(warm(warmed, 950)), settings());
    for (const t of warmed) expect(activeOf(plan, 'c')).toContain(t);
    expect(activeOf(plan, 'c')).toHaveLength(2);
    expect(warmupOf(plan, 'c')).toHaveLength(2);
    expect(warmupOf(plan, 'c').some((t) => warmed.includes(t))).toBe(false);
  });

  it('a warm-up still behind (lag above acceptableRecoveryLag) does not move the task', () => {
    const first = assignTasks(twoOwners(), settings());
    const warmed = warmupOf(first, 'c');
    const plan = assignTasks(twoOwners(warm(warmed, 500)), settings());
    expect(activeOf(plan, 'c')).toEqual([]);
    expect(warmupOf(plan, 'c')).toEqual(warmed);
  });

  it('with no caught-up instance, a task goes to its balanced owner at once (it must restore anyway)', () => {
    const plan = assignTasks([member('a'), member('b'), member('c')], settings());
    expect(plan.warmups).toBe(0);
    for (const id of ['a', 'b', 'c']) expect(activeOf(plan, id)).toHaveLength(4);
  });
});

describe('assignTasks: failover and drain', () => {
  it('a lost instance’s tasks go to the instances holding their standbys', () => {
    // c ran 8..11 and is gone; a kept standbys of 8 and 9, b of 10 and 11.
    const plan = assignTasks(
      [
        member('a', { active: range(0, 4), standby: [8, 9], taskOffsetSums: warm([8, 9], 990) }),
        member('b', { active: range(4, 8), standby: [10, 11], taskOffsetSums: warm([10, 11], 990) }),
      ],
      settings(),
    );
    expect(activeOf(plan, 'a')).toEqual([0, 1, 2, 3, 8, 9]);
    expect(activeOf(plan, 'b')).toEqual([4, 5, 6, 7, 10, 11]);
    expect(plan.warmups).toBe(0);
  });

  it('a draining instance keeps nothing that another instance can run without a restore', () => {
    const plan = assignTasks(
      [
        member('a', { active: range(0, 4), standby: range(4, 8), taskOffsetSums: warm(range(4, 8)) }),
        member('b', { active: range(4, 8), standby: range(8, 12), taskOffsetSums: warm(range(8, 12)) }),
        member('c', { active: range(8, 12), standby: range(0, 4), draining: true }),
      ],
      settings(),
    );
    expect(activeOf(plan, 'c')).toEqual([]);
    expect(standbyOf(plan, 'c')).toEqual([]);
    expect(allActive(plan)).toEqual(range(0, 12));
  });

  it('a draining instance keeps a task nobody else is caught up on, and a warm-up starts elsewhere', () => {
    const plan = assignTasks(
      [member('a', { active: range(0, 6) }), member('c', { active: range(6, 12), draining: true })],
      settings(),
    );
    expect(activeOf(plan, 'c')).toEqual(range(6, 12));
    expect(warmupOf(plan, 'a')).toHaveLength(2);
  });

  it('when every instance drains, they keep running everything', () => {
    const plan = assignTasks(
      [member('a', { active: range(0, 6), draining: true }), member('b', { draining: true })],
      settings(),
    );
    expect(allActive(plan)).toEqual(range(0, 12));
  });
});

describe('assignTasks: standbys are spread', () => {
  it('gives a new instance its share of standbys, not only warm-ups', () => {
    // a and b each kept standbys of all the other's tasks; c has just taken 4 tasks over.
    const plan = assignTasks(
      [
        member('a', { active: [0, 1, 2, 3], standby: [4, 5, 6, 7, 8, 9, 10, 11] }),
        member('b', { active: [6, 7, 8, 9], standby: [0, 1, 2, 3, 4, 5, 10, 11] }),
        member('c', { active: [4, 5, 10, 11] }),
      ],
      settings(),
    );
    for (const id of ['a', 'b', 'c']) expect(standbyOf(plan, id)).toHaveLength(4);
    for (let t = 0; t < 12; t++) {
      expect(['a', 'b', 'c'].filter((id) => standbyOf(plan, id).includes(t))).toHaveLength(1);
    }
  });
});
