import type { Serde } from '../../state/index.ts';
import { CHANNELS, type Channel } from '../transactions/transaction.ts';
import { CompactReader, CompactWriter } from './compact-bytes.ts';

/**
 * Spending velocity of one account: counts and sums of its spends over sliding windows of 1 min,
 * 1 h, 24 h and 30 days, overall and per channel, on event time.
 *
 * Each window is kept as time buckets (10 s, 1 min, 15 min, 1 h): a spend adds to one bucket
 * per window, and a window's value is the sum of its buckets. So a record costs a fixed number of
 * bucket reads whatever the number of transactions in a window, and an account's state is at most
 * (window + grace) / bucket + 1 buckets per window — 38 + 66 + 102 + 722 with a 5 min grace —,
 * whatever it spends: buckets whose end is older than stream time − window − grace are dropped
 * on every write. The price is resolution: a window of W covers between W and W + one bucket.
 */
export interface VelocityWindow {
  label: '1m' | '1h' | '24h' | '30d';
  windowMs: number;
  bucketMs: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const VELOCITY_WINDOWS: readonly VelocityWindow[] = [
  { label: '1m', windowMs: MINUTE, bucketMs: 10_000 },
  { label: '1h', windowMs: 60 * MINUTE, bucketMs: MINUTE },
  { label: '24h', windowMs: DAY, bucketMs: 15 * MINUTE },
  // Hours, not days: the amount-anomaly average is over 30 days, and a day-wide first bucket
  // would stretch it to 31.
  { label: '30d', windowMs: 30 * DAY, bucketMs: 60 * MINUTE },
];

export type WindowLabel = VelocityWindow['label'];

/** Spends of one channel (or all) in a bucket or window. */
export interface Tally {
  /** Spends, in any currency. */
  count: number;
  /** Spends in the rule set's currency: those `sumMinor` adds up (never across currencies). */
  summedCount: number;
  sumMinor: bigint;
}

interface Bucket {
  /** Bucket start / bucketMs. */
  index: number;
  /** By CHANNELS index; undefined: no spend on that channel. */
  tallies: Array<Tally | undefined>;
}

const emptyTally = (): Tally => ({ count: 0, summedCount: 0, sumMinor: 0n });

/** A window's values at one instant: overall and per channel. */
export interface WindowValues {
  label: WindowLabel;
  overall: Tally;
  byChannel: ReadonlyMap<Channel, Tally>;
}

export class VelocityProfile {
  /** Per VELOCITY_WINDOWS entry, buckets in ascending time. */
  readonly #tiers: Bucket[][];

  constructor(tiers?: Bucket[][]) {
    this.#tiers = tiers ?? VELOCITY_WINDOWS.map(() => []);
  }

  /** Buckets held across all windows (what the storage bound is about). */
  get bucketCount(): number {
    return this.#tiers.reduce((sum, tier) => sum + tier.length, 0);
  }

  /** Event time of the latest bucket's end: after it the profile holds nothing of interest. */
  get lastBucketEndMs(): number {
    let last = 0;
    VELOCITY_WINDOWS.forEach(({ bucketMs }, i) => {
      const tier = this.#tiers[i] as Bucket[];
      const newest = tier[tier.length - 1];
      if (newest !== undefined) last = Math.max(last, (newest.index + 1) * bucketMs);
    });
    return last;
  }

  /**
   * Adds a spend at event time `atMs` on `channel`; `amountMinor` is its amount when in the rule
   * set's currency (undefined: counted, not summed).
   */
  add(atMs: number, channel: Channel, amountMinor: bigint | undefined): void {
    const channelIndex = CHANNELS.indexOf(channel);
    VELOCITY_WINDOWS.forEach(({ bucketMs }, i) => {
      const tally = bucketTally(this.#tiers[i] as Bucket[], Math.floor(atMs / bucketMs), channelIndex);
      tally.count += 1;
      if (amountMinor !== undefined) {
        tally.summedCount += 1;
        tally.sumMinor += amountMinor;
      }
    });
  }

  /** Drops the buckets no window ending at or after `streamTimeMs − graceMs` can see. */
  prune(streamTimeMs: number, graceMs: number): void {
    VELOCITY_WINDOWS.forEach(({ windowMs, bucketMs }, i) => {
      const tier = this.#tiers[i] as Bucket[];
      const horizon = streamTimeMs - graceMs - windowMs;
      let drop = 0;
      while (drop < tier.length && ((tier[drop] as Bucket).index + 1) * bucketMs <= horizon) drop++;
      if (drop > 0) tier.splice(0, drop);
    });
  }

  /** The window's values for a window ending at `atMs` (buckets starting after it are left out). */
  window(label: WindowLabel, atMs: number): WindowValues {
    const i = VELOCITY_WINDOWS.findIndex((w) => w.label === label);
    const { windowMs, bucketMs } = VELOCITY_WINDOWS[i] as VelocityWindow;
    const overall = emptyTally();
    const byChannel = new Map<Channel, Tally>();
    const first = Math.floor((atMs - windowMs) / bucketMs);
    const last = Math.floor(atMs / bucketMs);
    for (const bucket of this.#tiers[i] as Bucket[]) {
      if (bucket.index < first || bucket.index > last) continue;
      bucket.tallies.forEach((tally, channelIndex) => {
        if (tally === undefined) return;
        const channel = CHANNELS[channelIndex] as Channel;
        const sum = byChannel.get(channel) ?? emptyTally();
        addTally(sum, tally);
        byChannel.set(channel, sum);
        addTally(overall, tally);
      });
    }
    return { label, overall, byChannel };
  }

  /** Every window at `atMs` (interactive queries and the fraud rules read them). */
  windows(atMs: number): Record<WindowLabel, WindowValues> {
    return {
      '1m': this.window('1m', atMs),
      '1h': this.window('1h', atMs),
      '24h': this.window('24h', atMs),
      '30d': this.window('30d', atMs),
    };
  }

  /** @internal for the serde */
  get tiers(): readonly Bucket[][] {
    return this.#tiers;
  }
}

function addTally(into: Tally, from: Tally): void {
  into.count += from.count;
  into.summedCount += from.summedCount;
  into.sumMinor += from.sumMinor;
}

function bucketTally(tier: Bucket[], index: number, channelIndex: number): Tally {
  // Spends arrive mostly in time order: look from the newest bucket back.
  let at = tier.length;
  while (at > 0 && (tier[at - 1] as Bucket).index > index) at--;
  let bucket = tier[at - 1];
  if (bucket === undefined || bucket.index !== index) {
    bucket = { index, tallies: new Array<Tally | undefined>(CHANNELS.length).fill(undefined) };
    tier.splice(at, 0, bucket);
  }
  let tally = bucket.tallies[channelIndex];
  if (tally === undefined) {
    tally = emptyTally();
    bucket.tallies[channelIndex] = tally;
  }
  return tally;
}

const FORMAT = 1;

/** The velocity store's values: per window, its buckets with a channel mask and varint tallies. */
export const velocityProfileSerde: Serde<VelocityProfile> = {
  serialize(profile: VelocityProfile): Buffer {
    const out = new CompactWriter().uint(FORMAT);
    for (const tier of profile.tiers) {
      out.uint(tier.length);
      for (const bucket of tier) {
        let mask = 0;
        bucket.tallies.forEach((tally, i) => {
          if (tally !== undefined) mask |= 1 << i;
        });
        out.uint(bucket.index).uint(mask);
        for (const tally of bucket.tallies) {
          if (tally !== undefined) out.uint(tally.count).uint(tally.summedCount).bigint(tally.sumMinor);
        }
      }
    }
    return out.toBuffer();
  },
  deserialize(bytes: Buffer): VelocityProfile {
    const input = new CompactReader(bytes, 'velocity-profile');
    input.format(FORMAT);
    const tiers = VELOCITY_WINDOWS.map(() => {
      const buckets: Bucket[] = new Array<Bucket>(input.uint());
      for (let b = 0; b < buckets.length; b++) {
        const index = input.uint();
        const mask = input.uint();
        const tallies = new Array<Tally | undefined>(CHANNELS.length).fill(undefined);
        for (let c = 0; c < CHANNELS.length; c++) {
          if (mask & (1 << c))
            tallies[c] = { count: input.uint(), summedCount: input.uint(), sumMinor: input.bigint() };
        }
        buckets[b] = { index, tallies };
      }
      return buckets;
    });
    input.end();
    return new VelocityProfile(tiers);
  },
};
