// Seeded randomness for scene generation. Everything about a scene is a pure function of (seed, index): the
// generator is a 32-bit counter-free PRNG (sfc32, Chris Doty-Humphrey's "small fast counting" generator as used
// in PractRand) whose state is derived from (seed, index) by murmur3's 32-bit finaliser. Integer ops only, so
// every platform and every worker thread draws the same numbers.

/** murmur3 fmix32: a bijective 32-bit mixer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of two 32-bit integers (order matters). */
export function hash2(a: number, b: number): number {
  return fmix32((fmix32(a >>> 0) ^ Math.imul(b >>> 0, 0x9e3779b1) ^ 0x27d4eb2f) >>> 0);
}

/** Deterministic PRNG; `next()` returns a float in [0, 1) with 32 random bits. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    // Seeds are taken modulo 2^32; a float seed is truncated first so 1.5 and 1 differ only if their integer parts do.
    const s = Math.trunc(seed);
    const lo = (s % 0x100000000) >>> 0;
    const hi = Math.floor(s / 0x100000000) >>> 0;
    this.a = hash2(lo, stream ^ 0x5bd1e995);
    this.b = hash2(hi, stream ^ 0x1b873593);
    this.c = hash2(lo ^ 0xcc9e2d51, stream);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Index drawn with probability proportional to weights[i]. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** The generator for scene `index` of dataset `seed`. */
export function sceneRng(seed: number, index: number): Rng {
  return new Rng(seed, hash2(index >>> 0, Math.floor(index / 0x100000000) >>> 0));
}
