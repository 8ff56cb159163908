/**
 * The generator's only source of randomness: a seeded sfc32 (Chris Doty-Humphrey's Small Fast
 * Counting generator, 32-bit words). Same seed, same draws, on every platform: the generated
 * traffic is a pure function of the seed and the options. Math.random is never used.
 */

const TWO_POW_32 = 4_294_967_296;

/** splitmix32: spreads a seed's bits over the four words of sfc32's state. */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let t = next ^ (next >>> 16);
  t = Math.imul(t, 0x21f0aad5);
  t ^= t >>> 15;
  t = Math.imul(t, 0x735a2d97);
  t ^= t >>> 15;
  return { state: next, value: t >>> 0 };
}

export class SeededRandom {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** `seed`: a non-negative safe integer; its high bits count as much as its low bits. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`a seed is a non-negative safe integer, got ${seed}`);
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / TWO_POW_32) >>> 0;
    let mix = splitmix32(low);
    this.#a = mix.value;
    mix = splitmix32(mix.state ^ high);
    this.#b = mix.value;
    mix = splitmix32(mix.state);
    this.#c = mix.value;
    mix = splitmix32(mix.state);
    this.#d = mix.value;
    // The first outputs of sfc32 still show the seed's structure; its authors discard a dozen.
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** The next 32 random bits, as an unsigned integer. */
  uint32(): number {
    const a = this.#a;
    const b = this.#b;
    const c = this.#c;
    const d = this.#d;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** A number in [0, 1), for probabilities and coordinates (never for money). */
  fraction(): number {
    return this.uint32() / TWO_POW_32;
  }

  /** An integer in [0, n), n at most 2^32. */
  below(n: number): number {
    return Math.floor(this.fraction() * n);
  }

  /** An integer in [min, max], both included. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.fraction() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)] as T;
  }
}

/**
 * Choices with weights (a handful of entries: a linear scan of cumulative weights is as fast as
 * anything cleverer). Weights are relative: they need not add up to anything.
 */
export class WeightedChoice<T> {
  readonly #values: T[] = [];
  readonly #cumulative: number[] = [];
  readonly #total: number;

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    let total = 0;
    for (const [value, weight] of entries) {
      if (weight <= 0) continue;
      total += weight;
      this.#values.push(value);
      this.#cumulative.push(total);
    }
    if (total === 0) throw new RangeError('a weighted choice needs at least one positive weight');
    this.#total = total;
  }

  pick(random: SeededRandom): T {
    const target = random.fraction() * this.#total;
    const cumulative = this.#cumulative;
    const last = cumulative.length - 1;
    for (let i = 0; i < last; i++) {
      if (target < (cumulative[i] as number)) return this.#values[i] as T;
    }
    return this.#values[last] as T;
  }
}
