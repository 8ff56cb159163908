import type { CommittedOffset } from './kafka/client.ts';
import { tpKey, type TopicPartition } from './records.ts';

// Gauges computed when Prometheus scrapes, not as things happen: consumer lag, standby lag and
// store sizes need the brokers' end offsets or the disk, which no record should wait for. Each
// value is cached briefly, so that several scrapers (Prometheus, `saldo status`) cost one lookup.

/** An input partition of an active task, and the task's next offset in it (undefined: not known yet). */
export interface InputPosition extends TopicPartition {
  readonly position: number | undefined;
}

/** A standby task's changelog partitions and how far it has applied each. */
export interface StandbyPosition {
  readonly task: string;
  readonly changelogs: ReadonlyArray<TopicPartition & { readonly checkpoint: number }>;
}

/** A store on this instance's disk and its size. */
export interface StoreSize {
  readonly task: string;
  readonly store: string;
  readonly bytes: number;
}

/** What the scrape-time gauges read from a running app. */
export interface ScrapeSources {
  inputPositions(): InputPosition[];
  standbyPositions(): StandbyPosition[];
  /** Log start and end (last stable offset: what a read_committed reader can reach). */
  offsetRange(tps: TopicPartition[]): Promise<ReadonlyMap<string, { start: number; end: number }>>;
  committedOffsets(tps: TopicPartition[]): Promise<ReadonlyMap<string, CommittedOffset>>;
  /** The sizes of the stores of the tasks open here (active and standby). */
  storeSizes(): Promise<StoreSize[]>;
}

export interface PartitionLag extends TopicPartition {
  readonly lag: number;
}

/**
 * Records between each active input's position and its end: where the task stands, else (still
 * restoring) the group's committed offset, else the log start; never below the log start
 * (retention deleted what lies before it) and never negative.
 */
export function consumerLags(
  inputs: readonly InputPosition[],
  ranges: ReadonlyMap<string, { start: number; end: number }>,
  committed: ReadonlyMap<string, CommittedOffset>,
): PartitionLag[] {
  const lags: PartitionLag[] = [];
  for (const input of inputs) {
    const key = tpKey(input);
    const range = ranges.get(key);
    if (range === undefined) continue;
    const from = Math.max(input.position ?? committed.get(key)?.offset ?? range.start, range.start);
    lags.push({ topic: input.topic, partition: input.partition, lag: Math.max(0, range.end - from) });
  }
  return lags;
}

/** Per standby task, the changelog records it has still to apply (summed over its stores). */
export function standbyLags(
  standbys: readonly StandbyPosition[],
  ranges: ReadonlyMap<string, { start: number; end: number }>,
): Array<{ task: string; lag: number }> {
  return standbys.map((standby) => {
    let lag = 0;
    for (const c of standby.changelogs) {
      const end = ranges.get(tpKey(c))?.end;
      if (end !== undefined) lag += Math.max(0, end - c.checkpoint);
    }
    return { task: standby.task, lag };
  });
}

/**
 * A value loaded at most once per `ttlMs`; concurrent readers share one load. A load that fails or
 * takes longer than `timeoutMs` leaves the previous value (a scrape never hangs on a lost broker).
 */
export class CachedValue<T> {
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #value: T | undefined;
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;

  constructor(opts: { ttlMs: number; timeoutMs: number; now?: () => number }) {
    this.#ttlMs = opts.ttlMs;
    this.#timeoutMs = opts.timeoutMs;
    this.#now = opts.now ?? Date.now;
  }

  async get(load: () => Promise<T>): Promise<T | undefined> {
    if (this.#now() - this.#loadedAt < this.#ttlMs) return this.#value;
    this.#loading ??= load()
      .then((value) => {
        this.#value = value;
        this.#loadedAt = this.#now();
      })
      .catch(() => undefined)
      .finally(() => (this.#loading = undefined));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#timeoutMs);
      timer.unref();
    });
    await Promise.race([this.#loading, timeout]);
    clearTimeout(timer);
    return this.#value;
  }
}

/** How long lag and sizes are kept: well under a scrape interval, long enough for several scrapers. */
const LAG_TTL_MS = 5_000;
const SIZE_TTL_MS = 30_000;
/** How long a scrape waits for the brokers or the disk before it serves the previous values. */
const LOAD_TIMEOUT_MS = 2_000;

/** The scrape-time values of one app, each cached (see CachedValue). */
export class ScrapeGauges {
  readonly #sources: ScrapeSources;
  readonly #consumerLag = new CachedValue<PartitionLag[]>({
    ttlMs: LAG_TTL_MS,
    timeoutMs: LOAD_TIMEOUT_MS,
  });
  readonly #standbyLag = new CachedValue<Array<{ task: string; lag: number }>>({
    ttlMs: LAG_TTL_MS,
    timeoutMs: LOAD_TIMEOUT_MS,
  });
  readonly #storeSizes = new CachedValue<StoreSize[]>({ ttlMs: SIZE_TTL_MS, timeoutMs: LOAD_TIMEOUT_MS });

  constructor(sources: ScrapeSources) {
    this.#sources = sources;
  }

  consumerLag(): Promise<PartitionLag[] | undefined> {
    return this.#consumerLag.get(async () => {
      const inputs = this.#sources.inputPositions();
      if (inputs.length === 0) return [];
      const unknown = inputs.filter((i) => i.position === undefined);
      const [ranges, committed] = await Promise.all([
        this.#sources.offsetRange(inputs),
        unknown.length === 0 ? new Map<string, CommittedOffset>() : this.#sources.committedOffsets(unknown),
      ]);
      return consumerLags(inputs, ranges, committed);
    });
  }

  standbyLag(): Promise<Array<{ task: string; lag: number }> | undefined> {
    return this.#standbyLag.get(async () => {
      const standbys = this.#sources.standbyPositions();
      const changelogs = standbys.flatMap((s) => s.changelogs);
      if (changelogs.length === 0) return standbys.map((s) => ({ task: s.task, lag: 0 }));
      return standbyLags(standbys, await this.#sources.offsetRange(changelogs));
    });
  }

  storeSizes(): Promise<StoreSize[] | undefined> {
    return this.#storeSizes.get(() => this.#sources.storeSizes());
  }
}
