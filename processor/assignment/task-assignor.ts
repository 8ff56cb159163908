/**
 * The state-aware task assignor (Kafka Streams' HighAvailabilityTaskAssignor, KIP-441, for a
 * co-partitioned topology): pure logic, unit-tested without Kafka; processor/kafka/kafkajs/
 * assigner.ts carries it over the group protocol.
 *
 * A task is a partition number (a member gets partition p of every source topic). Members are
 * stream threads; the instances ("clients") they belong to hold the state on disk, so placement is
 * decided per instance first, then spread over its threads:
 *
 * 1. Balance: every instance gets a share of the active tasks in proportion to its threads; an
 *    instance keeps what it ran (stickiness), then takes tasks it holds warm state for.
 * 2. Never stall on a restore: when the balanced owner of a task is not caught up on its state
 *    (changelog lag above `acceptableRecoveryLag`) and another instance is, the task stays (or goes)
 *    there, and the balanced owner gets a WARM-UP replica instead, a standby that reads the
 *    changelogs; once it has caught up, a probing rebalance moves the task for good.
 * 3. Standbys: `numStandbyReplicas` instances other than the owner keep a warm copy of each task's
 *    state (a warm-up counts as one), preferring those that have state already.
 * 4. Draining instances get neither tasks nor standbys, unless every instance drains; a task moves
 *    off a draining instance as soon as another is caught up (warm-up first, as any move).
 */

export interface MemberSubscription {
  readonly memberId: string;
  /** The instance (process) this member is a stream thread of. */
  readonly processId: string;
  /** Tasks the member ran as active before this rebalance. */
  readonly active: readonly number[];
  /** Tasks it kept as standbys (warm-ups included). */
  readonly standby: readonly number[];
  /**
   * Per task whose state this member has open (standbys), the sum of its stores' changelog
   * checkpoints: the assignor compares it with the changelogs' end. Running active tasks are
   * caught up by definition and need no entry.
   */
  readonly taskOffsetSums: ReadonlyMap<number, number>;
  /** The instance is being drained: it should end up with no task. */
  readonly draining: boolean;
}

export interface AssignmentSettings {
  readonly partitionCount: number;
  /** Per task, the sum of its changelogs' end offsets; a task without an entry has no state to move. */
  readonly taskEndOffsetSums: ReadonlyMap<number, number>;
  readonly numStandbyReplicas: number;
  /** Records of changelog an instance may lag behind and still count as caught up. */
  readonly acceptableRecoveryLag: number;
  /** Warm-up replicas in the whole group at once: bounds the extra changelog reading. */
  readonly maxWarmupReplicas: number;
}

export interface MemberTasks {
  active: number[];
  /** Standby tasks, warm-ups included. */
  standby: number[];
  /** The standbys that are warm-ups: tasks planned to move to this member once it is caught up. */
  warmup: number[];
}

export interface AssignmentPlan {
  readonly members: Map<string, MemberTasks>;
  /** Per task, the member that runs it. */
  readonly owners: Map<number, string>;
  /** Warm-ups handed out: a probing rebalance should follow once they catch up. */
  readonly warmups: number;
}

interface Client {
  readonly processId: string;
  readonly members: MemberSubscription[];
  readonly eligible: boolean;
  readonly active: Set<number>;
  readonly standby: Set<number>;
  readonly warmup: Set<number>;
  quota: number;
}

const byNumber = (a: number, b: number) => a - b;

export function assignTasks(
  subscriptions: readonly MemberSubscription[],
  settings: AssignmentSettings,
): AssignmentPlan {
  const members = new Map<string, MemberTasks>(
    subscriptions.map((m) => [m.memberId, { active: [], standby: [], warmup: [] }]),
  );
  const owners = new Map<number, string>();
  const clients = clientsOf(subscriptions);
  if (clients.length === 0) return { members, owners, warmups: 0 };
  const eligible = clients.filter((c) => c.eligible);
  setQuotas(eligible, settings.partitionCount);

  const lag = lagFunction(settings);
  const caughtUp = (c: Client, t: number) => lag(c, t) <= settings.acceptableRecoveryLag;
  const previousOwner = (t: number) => clients.find((c) => c.members.some((m) => m.active.includes(t)));
  const tasks = Array.from({ length: settings.partitionCount }, (_, t) => t);

  // 1. The balanced, sticky, state-preferring placement.
  const desired = new Map<number, Client>();
  const load = new Map<Client, number>(eligible.map((c) => [c, 0]));
  const give = (t: number, c: Client) => {
    desired.set(t, c);
    load.set(c, (load.get(c) ?? 0) + 1);
  };
  for (const t of tasks) {
    const previous = previousOwner(t);
    if (previous?.eligible && (load.get(previous) ?? 0) < previous.quota) give(t, previous);
  }
  for (const t of tasks) {
    if (desired.has(t)) continue;
    const open = eligible.filter((c) => (load.get(c) ?? 0) < c.quota);
    const pool = open.length > 0 ? open : eligible;
    give(
      t,
      bestBy(pool, (c) => [lag(c, t), (load.get(c) ?? 0) / c.members.length]),
    );
  }

  // 2. Where the balanced owner would restore first, a caught-up instance runs the task meanwhile.
  let warmups = 0;
  for (const t of tasks) {
    const target = desired.get(t) as Client;
    let owner = target;
    if (!caughtUp(target, t)) {
      const ready = clients.filter((c) => caughtUp(c, t));
      if (ready.length > 0) {
        const previous = previousOwner(t);
        // A draining instance runs it only while nobody else can.
        owner =
          previous?.eligible && ready.includes(previous)
            ? previous
            : bestBy(ready, (c) => [c.eligible ? 0 : 1, lag(c, t)]);
        if (warmups < settings.maxWarmupReplicas) {
          target.warmup.add(t);
          target.standby.add(t);
          warmups++;
        }
      }
    }
    owner.active.add(t);
  }

  // 3. Standbys on other eligible instances: where they were, then where state is, then evenly.
  // An even share of them per instance (by threads) comes before stickiness, so that a new
  // instance gets standbys too and a failure spreads its tasks over several survivors.
  const eligibleThreads = eligible.reduce((sum, c) => sum + c.members.length, 0);
  const standbyQuota = (c: Client) =>
    Math.ceil((settings.partitionCount * settings.numStandbyReplicas * c.members.length) / eligibleThreads);
  for (const t of tasks) {
    const holders = clients.filter((c) => c.standby.has(t)).length;
    for (let n = holders; n < settings.numStandbyReplicas; n++) {
      const candidates = eligible.filter((c) => !c.active.has(t) && !c.standby.has(t));
      if (candidates.length === 0) break;
      const chosen = bestBy(candidates, (c) => [
        c.standby.size >= standbyQuota(c) ? 1 : 0,
        c.members.some((m) => m.standby.includes(t)) ? 0 : 1,
        Number.isFinite(lag(c, t)) ? 0 : 1,
        c.standby.size / c.members.length,
      ]);
      chosen.standby.add(t);
    }
  }

  evenOutStandbys(eligible);

  // 4. Within each instance, tasks to its threads.
  for (const client of clients) spreadOverMembers(client, members, owners);
  return { members, owners, warmups };
}

/**
 * The greedy pass can leave an instance short of standbys (the tasks left when it still had room
 * were ones it runs); move plain standbys (not warm-ups) from the fullest instances to the
 * emptiest that may hold them while that narrows the gap.
 */
function evenOutStandbys(clients: readonly Client[]): void {
  const load = (c: Client) => c.standby.size / c.members.length;
  for (let moves = 0; moves < 1_000; moves++) {
    const byLoad = [...clients].sort((x, y) => load(y) - load(x));
    let moved = false;
    for (const donor of byLoad) {
      for (const receiver of [...byLoad].reverse()) {
        if (
          (donor.standby.size - 1) / donor.members.length <
          (receiver.standby.size + 1) / receiver.members.length
        )
          continue;
        const t = [...donor.standby].find(
          (x) => !donor.warmup.has(x) && !receiver.active.has(x) && !receiver.standby.has(x),
        );
        if (t === undefined) continue;
        donor.standby.delete(t);
        receiver.standby.add(t);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) return;
  }
}

function clientsOf(subscriptions: readonly MemberSubscription[]): Client[] {
  const grouped = new Map<string, MemberSubscription[]>();
  for (const m of [...subscriptions].sort((a, b) => a.memberId.localeCompare(b.memberId))) {
    const list = grouped.get(m.processId) ?? [];
    list.push(m);
    grouped.set(m.processId, list);
  }
  const all = [...grouped.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([processId, ms]) => ({ processId, members: ms, draining: ms.some((m) => m.draining) }));
  const everyoneDrains = all.every((c) => c.draining);
  return all.map((c) => ({
    processId: c.processId,
    members: c.members,
    eligible: everyoneDrains || !c.draining,
    active: new Set<number>(),
    standby: new Set<number>(),
    warmup: new Set<number>(),
    quota: 0,
  }));
}

/** Active tasks per instance in proportion to its threads; the remainder to the first ones. */
function setQuotas(clients: Client[], partitionCount: number): void {
  const threads = clients.reduce((sum, c) => sum + c.members.length, 0);
  let given = 0;
  for (const c of clients) {
    c.quota = Math.floor((partitionCount * c.members.length) / threads);
    given += c.quota;
  }
  for (let i = 0; given < partitionCount; i = (i + 1) % clients.length, given++) {
    (clients[i] as Client).quota++;
  }
}

/** How far behind its changelogs an instance's local state of a task is (Infinity: none there). */
function lagFunction(settings: AssignmentSettings): (client: Client, task: number) => number {
  const cache = new Map<string, number>();
  return (client, task) => {
    const key = `${client.processId}\u0000${task}`;
    const known = cache.get(key);
    if (known !== undefined) return known;
    const end = settings.taskEndOffsetSums.get(task);
    let best = Number.POSITIVE_INFINITY;
    if (end === undefined) best = 0; // a task without changelogs moves for free
    for (const m of client.members) {
      if (best === 0) break;
      if (m.active.includes(task)) best = 0;
      const sum = m.taskOffsetSums.get(task);
      if (sum !== undefined && end !== undefined) best = Math.min(best, Math.max(0, end - sum));
    }
    cache.set(key, best);
    return best;
  };
}

/** The item whose key is smallest (keys compared in order); ties keep the earlier item. */
function bestBy<T>(items: readonly T[], key: (item: T) => number[]): T {
  let best = items[0] as T;
  let bestKey = key(best);
  for (const item of items.slice(1)) {
    const k = key(item);
    for (let i = 0; i < k.length; i++) {
      const a = k[i] as number;
      const b = bestKey[i] as number;
      if (a === b) continue;
      if (a < b) {
        best = item;
        bestKey = k;
      }
      break;
    }
  }
  return best;
}

/**
 * An instance's tasks over its threads, evenly: a thread keeps what it ran, then takes what it kept
 * warm (its stores are open there: another thread would wait for them to close), then the least
 * loaded takes the rest. A standby stays on the thread that had the task, else goes to the least
 * loaded: the threads share the instance's state directory, so any of them will do.
 */
function spreadOverMembers(
  client: Client,
  members: Map<string, MemberTasks>,
  owners: Map<number, string>,
): void {
  const threads = client.members;
  const base = Math.floor(client.active.size / threads.length);
  const extra = client.active.size % threads.length;
  const quota = new Map(threads.map((m, i) => [m.memberId, base + (i < extra ? 1 : 0)]));
  const tasksOf = (m: MemberSubscription) => members.get(m.memberId) as MemberTasks;
  const unplaced = new Set([...client.active].sort(byNumber));
  const place = (t: number, m: MemberSubscription) => {
    tasksOf(m).active.push(t);
    owners.set(t, m.memberId);
    unplaced.delete(t);
  };
  const underQuota = (m: MemberSubscription) => tasksOf(m).active.length < (quota.get(m.memberId) as number);
  for (const had of [(m: MemberSubscription) => m.active, (m: MemberSubscription) => m.standby]) {
    for (const t of [...unplaced]) {
      const m = threads.find((x) => had(x).includes(t) && underQuota(x));
      if (m) place(t, m);
    }
  }
  for (const t of [...unplaced]) {
    place(
      t,
      bestBy(threads, (m) => [underQuota(m) ? 0 : 1, tasksOf(m).active.length]),
    );
  }
  for (const t of [...client.standby].sort(byNumber)) {
    const previous = threads.find((m) => m.standby.includes(t) || m.active.includes(t));
    const m = previous ?? bestBy(threads, (x) => [tasksOf(x).standby.length]);
    tasksOf(m).standby.push(t);
    if (client.warmup.has(t)) tasksOf(m).warmup.push(t);
  }
  for (const m of threads) {
    const tasks = tasksOf(m);
    tasks.active.sort(byNumber);
    tasks.standby.sort(byNumber);
    tasks.warmup.sort(byNumber);
  }
}
