/**
 * The traffic model: an endless, deterministic stream of transactions of many accounts, their
 * stories interleaved, with ~1% exact duplicates sent again later and ~1% of settled card payments
 * whose authorization arrives after its capture or reversal. The n-th record emitted (from 0) has
 * event time `startTime + floor(n × spacingMs)`, except that duplicates and late authorizations
 * keep the earlier event time they were first given.
 *
 * With `realistic` options, event time is apart from emission (timeline.ts): the n-th live record
 * falls along the days of the span with their rhythm; accounts have limits (published on
 * account-limits), a history sent first (history.ts), whereabouts (trips), paydays on quincenas,
 * near misses of the fraud rules (near-misses.ts) and injected fraud incidents (fraud.ts); no
 * normal story is planned that the rules' definitions (definitions.ts) would flag, and the
 * definitions' findings over everything sent are the run's labels.
 */
import type { TransactionRecord } from '../../topologies/transactions/transaction.ts';
import { createAccounts, type AccountState, type HistoryRole } from './accounts.ts';
import { DefinitionsDetector, type Incident, type RuleId } from './definitions.ts';
import { ExpectedBalanceFold } from './expected.ts';
import { planIncident, type FraudDeps } from './fraud.ts';
import { HistoryPrelude } from './history.ts';
import { lifeOf } from './life.ts';
import { drawLimits, type LimitUpdate } from './limits.ts';
import { NEAR_MISSES, planNearMiss, type NearMissDeps } from './near-misses.ts';
import { SeededRandom } from './random.ts';
import { EmissionSchedule } from './schedule.ts';
import { StoryPlanner } from './stories.ts';
import { MAX_STORY_DELAY, type StoryStep } from './story.ts';
import { DAY_MS, EventTimeline, isQuincena, localDayKey, localTime } from './timeline.ts';
import { TimeQueue } from './time-queue.ts';

/**
 * The most event time a run may span. Holds expire 7 days after their authorization and the
 * topology refuses records more than a day ahead of the wall clock (DEFAULT_PRODUCT_SETTINGS of
 * topologies/product.ts): a quarter of a day keeps every hold of a run open and every record
 * acceptable even when generated far faster than its event times pass.
 */
export const MAX_EVENT_TIME_SPAN_MS = 6 * 60 * 60 * 1_000;

/** Event time between records: 1000 / rate ms, or 1 ms when the rate is unlimited. */
export function spacingMsFor(rate: number | undefined): number {
  return rate === undefined ? 1 : 1_000 / rate;
}

/** How many records fit in MAX_EVENT_TIME_SPAN_MS at this spacing. */
export function recordsWithinSpan(spacingMs: number): number {
  return Math.floor(MAX_EVENT_TIME_SPAN_MS / spacingMs) + 1;
}

/** Share of records sent a second time, later, exactly as they were. */
export const DUPLICATE_RATE = 0.01;
/** Emissions after the original at which its duplicate is due. */
const DUPLICATE_DELAY: readonly [number, number] = [1, 2_000];

/** How a record came to be emitted: history records come first, before the live traffic. */
export type Delivery = 'original' | 'duplicate' | 'late' | 'history';

export interface Emission {
  record: TransactionRecord;
  delivery: Delivery;
}

export interface TrafficOptions {
  accounts: number;
  seed: number;
  /** Event time of the first record (of the live traffic), ms since the epoch. */
  startTime: number;
  /** Event time between consecutive emissions (1000 / rate); fractions accumulate. */
  spacingMs: number;
  /** Realistic event time, history, limits and fraud; event time follows emission when absent. */
  realistic?: RealisticOptions;
}

export interface RealisticOptions {
  /** The event time the live traffic spreads over, from startTime. */
  spanMs: number;
  /** How many live records the span holds (the count, or rate × duration). */
  records: number;
  /** Days of history before startTime; 0: none. */
  historyDays: number;
  /** Share of stories that are fraud incidents; 0: none. */
  fraudRate: number;
  /** The patterns injected, in turn. */
  patterns: readonly RuleId[];
}

/** One fraud incident injected, as planned. */
export interface InjectedIncident {
  pattern: RuleId;
  accountId: string;
  transactionIds: string[];
}

/** A line of the labels file: an incident of a rule's definition, and whether it was injected. */
export interface Label {
  pattern: RuleId;
  accountId: string;
  transactionIds: string[];
  from: number;
  to: number;
  injected: boolean;
}

/** Share of normal stories that are near misses, in runs with realistic event time. */
const NEAR_MISS_RATE = 0.12;
/** About this many records per story (salaries are one, card payments two or three). */
const RECORDS_PER_STORY = 1.8;

/** A record waiting in the schedule: late authorizations carry the slot their story started at. */
interface Pending {
  record: TransactionRecord;
  delivery: Delivery;
  startSlot: number;
  /** It keeps the event time it was planned with. */
  timed: boolean;
}

/** The parts only runs with realistic event time have. */
interface Realism {
  options: RealisticOptions;
  timeline: EventTimeline;
  balances: ExpectedBalanceFold;
  detector: DefinitionsDetector;
  history: HistoryPrelude | null;
  timed: TimeQueue<Pending>;
  fraud: FraudDeps;
  nearMisses: NearMissDeps;
  injected: InjectedIncident[];
  injectedIds: Set<string>;
  /** Incidents planned so far, in pattern turns (a pattern that found no account still takes its turn). */
  turns: number;
}

export class TrafficGenerator {
  readonly #options: TrafficOptions;
  readonly #random: SeededRandom;
  readonly #accounts: AccountState[];
  readonly #planner: StoryPlanner;
  readonly #schedule = new EmissionSchedule<Pending>(Math.max(MAX_STORY_DELAY, DUPLICATE_DELAY[1]) + 1);
  readonly #realism: Realism | null;
  /** The slot of the next emission. */
  #slot = 0;

  constructor(options: TrafficOptions) {
    this.#options = options;
    this.#random = new SeededRandom(options.seed);
    this.#accounts = createAccounts(options.accounts, this.#random);
    this.#planner = new StoryPlanner(this.#random, options.seed);
    this.#realism = options.realistic === undefined ? null : this.#realize(options.realistic);
  }

  /** Live records emitted so far (history records are not counted). */
  get emitted(): number {
    return this.#slot;
  }

  /** Whether the history prelude is still being emitted. */
  get inHistory(): boolean {
    return this.#realism?.history != null;
  }

  /** Event time of the emission slot. */
  eventTimeOf(slot: number): number {
    if (this.#realism !== null) return this.#realism.timeline.timeOf(slot);
    return this.#options.startTime + Math.floor(slot * this.#options.spacingMs);
  }

  /** The next record, and whether it is an original, a duplicate or a late authorization. */
  next(): Emission {
    const realism = this.#realism;
    if (realism?.history != null) {
      const record = realism.history.next();
      if (record !== undefined) {
        this.#observe(record);
        return { record, delivery: 'history' };
      }
      realism.history = null;
    }
    const slot = this.#slot;
    let pending = this.#due(slot);
    while (pending === undefined) {
      this.#startStory(slot);
      pending = this.#due(slot);
    }
    this.#slot = slot + 1;
    const record = pending.record;
    if (pending.delivery !== 'duplicate') {
      if (!pending.timed)
        record.eventTime = this.eventTimeOf(pending.delivery === 'late' ? pending.startSlot : slot);
      if (this.#random.chance(DUPLICATE_RATE)) this.#scheduleDuplicate(slot, record);
    }
    this.#observe(record);
    return pending;
  }

  /** The limit records to publish on account-limits (realistic runs; none otherwise). */
  limitUpdates(): LimitUpdate[] {
    const updates: LimitUpdate[] = [];
    for (const account of this.#accounts) {
      const update = account.life?.limits.update ?? null;
      if (update !== null) updates.push(update);
    }
    return updates;
  }

  /** The fraud incidents injected so far. */
  injected(): InjectedIncident[] {
    return this.#realism === null ? [] : [...this.#realism.injected];
  }

  /**
   * The ground truth of what was emitted so far: every incident of a rule's definition, each
   * marked injected when it involves a transaction of an injected incident.
   */
  labels(): Label[] {
    if (this.#realism === null) return [];
    return labelsOf(this.#realism.detector.incidents(), this.#realism.injectedIds);
  }

  #due(slot: number): Pending | undefined {
    const timed = this.#realism?.timed;
    if (timed !== undefined && timed.peekTime() <= slot) return timed.take();
    return this.#schedule.take(slot);
  }

  /** Records emitted go through the run's own balances and the definitions (realistic runs). */
  #observe(record: TransactionRecord): void {
    if (this.#realism === null) return;
    if (record.type === 'INCREMENTAL_AUTHORIZATION') {
      const pending = this.#accountOf(record.accountId).life?.pending;
      const at = pending?.indexOf(record) ?? -1;
      if (at >= 0) pending?.splice(at, 1);
    }
    this.#realism.balances.apply(record);
    this.#realism.detector.apply(record);
  }

  #startStory(slot: number): void {
    if (this.#realism !== null) {
      this.#startRealisticStory(slot, this.#realism);
      return;
    }
    this.#add(slot, this.#planner.next(this.#pickAccount()));
  }

  #add(slot: number, steps: readonly StoryStep[]): void {
    const timed = this.#realism?.timed;
    const byTime = [...steps].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
    for (const step of byTime) {
      if (step.at !== undefined && timed !== undefined && this.#realism !== null) {
        timed.add(Math.max(slot, this.#realism.timeline.slotAt(step.at)), {
          record: step.record,
          delivery: 'original',
          startSlot: slot,
          timed: true,
        });
        continue;
      }
      this.#schedule.add(slot + step.delay, {
        record: step.record,
        delivery: step.late ? 'late' : 'original',
        startSlot: slot,
        timed: false,
      });
    }
  }

  /** A copy sent again later: same id, same content, same (now earlier) event time. */
  #scheduleDuplicate(slot: number, record: TransactionRecord): void {
    const delay = this.#random.between(DUPLICATE_DELAY[0], DUPLICATE_DELAY[1]);
    this.#schedule.add(slot + delay, {
      record: { ...record },
      delivery: 'duplicate',
      startSlot: slot,
      timed: false,
    });
  }

  /** Any account, more often the more active its profile (rejection sampling on its activity). */
  #pickAccount(at?: number): AccountState {
    const random = this.#random;
    for (let attempt = 0; ; attempt++) {
      const account = random.pick(this.#accounts);
      const life = account.life;
      if (life !== undefined && at !== undefined && attempt < 10_000) {
        if (life.reserved || life.busyUntil > at) continue;
      }
      if (random.chance(account.profile.activity)) return account;
    }
  }

  #realize(options: RealisticOptions): Realism {
    const random = this.#random;
    const { startTime } = this.#options;
    const balances = new ExpectedBalanceFold();
    const limitsAt = startTime - (options.historyDays + 1) * DAY_MS;
    const stories = options.records / RECORDS_PER_STORY;
    const dormantWanted =
      options.historyDays >= 110 && options.patterns.includes('dormant-reactivation')
        ? Math.min(
            Math.ceil(this.#accounts.length * 0.05),
            Math.ceil(((stories * options.fraudRate) / options.patterns.length) * 1.5) + 1,
          )
        : 0;
    this.#accounts.forEach((account, index) => {
      const roll = random.fraction();
      const history: HistoryRole =
        options.historyDays === 0 ? 'new' : roll < 0.12 ? 'new' : roll < 0.22 ? 'quiet' : 'regular';
      account.life = {
        index,
        limits: drawLimits(random, account, limitsAt),
        history,
        trip: null,
        busyUntil: 0,
        reserved: false,
        paidOn: 0,
        incidents: new Set(),
        pending: [],
      };
    });
    const dormant: AccountState[] = [];
    for (let i = 0; i < dormantWanted * 20 && dormant.length < dormantWanted; i++) {
      const account = random.pick(this.#accounts);
      const life = lifeOf(account);
      if (life.reserved) continue;
      life.history = 'dormant';
      life.reserved = true;
      dormant.push(account);
    }
    const detector = new DefinitionsDetector({
      limitsOf: (accountId) => lifeOf(this.#accountOf(accountId)).limits.effective,
      availableOf: (accountId, currency) => balances.available(accountId, currency),
    });
    const context = this.#planner.context;
    const history =
      options.historyDays > 0
        ? new HistoryPrelude(context, this.#accounts, {
            startTime,
            days: options.historyDays,
            probe: (records) => detector.probe(records, true),
          })
        : null;
    const averageOf = (account: AccountState, at: number) => detector.average(account.id, at);
    return {
      options,
      timeline: new EventTimeline(startTime, options.spanMs, options.records),
      balances,
      detector,
      history,
      timed: new TimeQueue<Pending>(),
      fraud: {
        context,
        pickAccount: () => this.#pickAccount(context.now),
        dormant,
        lowered: this.#accounts.filter(
          (account) => lifeOf(account).limits.lowered.length > 0 && !lifeOf(account).reserved,
        ),
        averageOf,
      },
      nearMisses: { context, averageOf },
      injected: [],
      injectedIds: new Set(),
      turns: 0,
    };
  }

  #accountOf(accountId: string): AccountState {
    const account = this.#accounts[Number(accountId.slice(5)) - 1];
    if (account === undefined || account.id !== accountId) throw new RangeError(`no account ${accountId}`);
    return account;
  }

  #startRealisticStory(slot: number, realism: Realism): void {
    const random = this.#random;
    const at = this.eventTimeOf(slot);
    const context = this.#planner.context;
    context.now = at;
    const { fraudRate, patterns } = realism.options;
    if (fraudRate > 0 && patterns.length > 0 && random.chance(fraudRate)) {
      const pattern = patterns[realism.turns % patterns.length] as RuleId;
      realism.turns += 1;
      const incident = planIncident(pattern, realism.fraud, at);
      if (incident !== null) {
        const ids = incident.steps.map((step) => step.record.transactionId);
        realism.injected.push({ pattern, accountId: incident.account.id, transactionIds: ids });
        for (const id of ids) realism.injectedIds.add(id);
        this.#add(slot, incident.steps);
        return;
      }
    }
    const account = this.#pickAccount(at);
    const life = lifeOf(account);
    const { hour } = localTime(at);
    const profile = account.profile.name;
    if (
      isQuincena(at) &&
      hour >= 5 &&
      hour < 12 &&
      life.paidOn !== localDayKey(at) &&
      (profile === 'salaried' || profile === 'merchant') &&
      random.chance(0.5)
    ) {
      life.paidOn = localDayKey(at);
      this.#add(slot, this.#stamped(this.#planner.payroll(account), at));
      return;
    }
    if (account.started && random.chance(NEAR_MISS_RATE)) {
      const kind = random.pick(NEAR_MISSES);
      const steps = this.#guarded(account, () => planNearMiss(kind, realism.nearMisses, account, at), at);
      if (steps !== null) {
        // Nothing else of the account comes between its steps (a trip's stay is not one story).
        if (kind !== 'trip')
          life.busyUntil = Math.max(at, ...spendsOf(steps).map((record) => record.eventTime));
        this.#add(slot, steps);
        return;
      }
    }
    const steps = this.#guarded(account, () => this.#planner.next(account), at);
    // What the definitions would flag becomes a top-up: money in is never an incident.
    this.#add(slot, steps ?? this.#stamped(this.#planner.topUp(account), at));
  }

  /** Sets the event time of steps due at once (the others get theirs when emitted). */
  #stamped(steps: StoryStep[], at: number): StoryStep[] {
    for (const step of steps) if (step.at === undefined && step.delay === 0) step.record.eventTime = at;
    return steps;
  }

  /**
   * Plans steps and keeps them when the definitions find nothing in their spends; otherwise undoes
   * what planning changed on the account and returns null.
   */
  #guarded(account: AccountState, plan: () => StoryStep[] | null, at: number): StoryStep[] | null {
    const realism = this.#realism as Realism;
    const spendable = { ...account.spendable };
    const life = lifeOf(account);
    const trip = life.trip;
    const started = account.started;
    const steps = plan();
    if (steps !== null) {
      // Steps due later (incrementals) are checked as if they came now, with those of earlier
      // stories not sent yet: close enough, and safe.
      for (const step of steps) if (step.at === undefined) step.record.eventTime = at;
      const pending = life.pending.map((record) => ({ ...record, eventTime: at }));
      const affordable = account.spendable.MXN >= 0n && account.spendable.USD >= 0n;
      if (affordable && realism.detector.probe([...pending, ...spendsOf(steps)], true).length === 0) {
        for (const step of steps)
          if (step.record.type === 'INCREMENTAL_AUTHORIZATION') life.pending.push(step.record);
        return steps;
      }
    }
    account.spendable.MXN = spendable.MXN;
    account.spendable.USD = spendable.USD;
    life.trip = trip;
    account.started = started;
    return null;
  }
}

/** The records of steps that may be spends, in event-time order (captures and reversals are not). */
function spendsOf(steps: readonly StoryStep[]): TransactionRecord[] {
  return steps
    .map((step) => step.record)
    .filter((record) => record.type !== 'CAPTURE' && record.type !== 'REVERSAL')
    .sort((a, b) => a.eventTime - b.eventTime);
}

/** Labels of the definitions' incidents: injected when one involves an injected transaction. */
export function labelsOf(incidents: readonly Incident[], injectedIds: ReadonlySet<string>): Label[] {
  return incidents.map((incident) => ({
    pattern: incident.rule,
    accountId: incident.accountId,
    transactionIds: incident.transactionIds,
    from: incident.from,
    to: incident.to,
    injected: incident.transactionIds.some((id) => injectedIds.has(id)),
  }));
}
