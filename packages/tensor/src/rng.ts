// Seeded random numbers, identical on every machine.
//
// Algorithm: xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018),
// state seeded with four outputs of splitmix64 (Steele, Lea & Flood 2014) started at the 64-bit seed, as the
// xoshiro authors recommend. The 64-bit arithmetic runs on pairs of uint32 halves (no BigInt in the hot path);
// BigInt is used only when seeding. Outputs match the C reference (tools/golden-rng.c) bit for bit.
//   uniform():        top 53 bits of a 64-bit output · 2^-53, in [0, 1).
//   uniformFloat32(): top 24 bits · 2^-24, in [0, 1) and exact in float32.
//   normal():         Marsaglia's polar method on two uniforms mapped to (−1, 1); BOTH values of an accepted
//                     pair are used (the second is cached). It needs only Math.log and Math.sqrt: sqrt is
//                     correctly rounded by IEEE 754, and V8's Math.log is a software port of fdlibm (not the
//                     platform libm), so a given Node version gives the same values on every OS/CPU. The C
//                     reference (glibc log) agrees to ≤ 1 ulp.
//   fork(key):        a new generator seeded from (this generator's seed, key) only, so forks do not depend
//                     on how many numbers the parent drew, and do not advance it.
import { Diff2in1Error } from './errors.js';
import { Tensor } from './tensor.js';

const MASK64 = (1n << 64n) - 1n;
const TWO32 = 4294967296;
const TWO_M53 = 2 ** -53;
const TWO_M24 = 2 ** -24;

/** splitmix64's output function applied to z (one step of its mixing). */
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

/** 64-bit FNV-1a over the UTF-8 bytes of s. */
function fnv1a64(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & MASK64;
  return h;
}

function seedToBigInt(seed: number | bigint): bigint {
  if (typeof seed === 'bigint') return BigInt.asUintN(64, seed);
  if (!Number.isSafeInteger(seed)) throw new Diff2in1Error('rng', `seed must be an integer (number or bigint), got ${seed}`);
  return BigInt.asUintN(64, BigInt(seed));
}

/** The project's seeded generator: xoshiro256** seeded by splitmix64 (see the file comment for every method's rule). */
export class Rng {
  /** The 64-bit seed this generator started from (after BigInt.asUintN(64, seed)). */
  readonly seed: bigint;
  private s = new Uint32Array(8); // [s0hi, s0lo, s1hi, s1lo, s2hi, s2lo, s3hi, s3lo]
  private spare = NaN; // second value of the last polar-method pair, or NaN
  private hi = 0; // last output, high and low 32 bits
  private lo = 0;

  constructor(seed: number | bigint) {
    this.seed = seedToBigInt(seed);
    let x = this.seed;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b97f4a7c15n) & MASK64;
      const z = mix64(x);
      this.s[2 * i] = Number(z >> 32n);
      this.s[2 * i + 1] = Number(z & 0xffffffffn);
    }
  }

  /** Advances the state; the 64-bit output is left in this.hi / this.lo. */
  private step(): void {
    const s = this.s;
    const s0h = s[0] as number, s0l = s[1] as number, s1h = s[2] as number, s1l = s[3] as number;
    let s2h = s[4] as number, s2l = s[5] as number, s3h = s[6] as number, s3l = s[7] as number;
    // result = rotl(s1 · 5, 7) · 9
    let p = s1l * 5;
    let ml = p >>> 0;
    let mh = (Math.imul(s1h, 5) + Math.floor(p / TWO32)) >>> 0;
    const rh = ((mh << 7) | (ml >>> 25)) >>> 0;
    const rl = ((ml << 7) | (mh >>> 25)) >>> 0;
    p = rl * 9;
    ml = p >>> 0;
    mh = (Math.imul(rh, 9) + Math.floor(p / TWO32)) >>> 0;
    this.hi = mh;
    this.lo = ml;
    // t = s1 << 17
    const th = ((s1h << 17) | (s1l >>> 15)) >>> 0;
    const tl = (s1l << 17) >>> 0;
    s2h = (s2h ^ s0h) >>> 0; s2l = (s2l ^ s0l) >>> 0;
    s3h = (s3h ^ s1h) >>> 0; s3l = (s3l ^ s1l) >>> 0;
    s[2] = s1h ^ s2h; s[3] = s1l ^ s2l;
    s[0] = s0h ^ s3h; s[1] = s0l ^ s3l;
    s2h ^= th; s2l ^= tl;
    s[4] = s2h; s[5] = s2l;
    // s3 = rotl(s3, 45) = rotl(swap halves, 13)
    s[6] = (s3l << 13) | (s3h >>> 19);
    s[7] = (s3h << 13) | (s3l >>> 19);
  }

  /** The next raw 64-bit output (slow path, for tests and seeding other generators). */
  nextUint64(): bigint {
    this.step();
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** The next 32 random bits (the high half of a 64-bit output). */
  nextUint32(): number {
    this.step();
    return this.hi;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    this.step();
    return (this.hi * 2097152 + (this.lo >>> 11)) * TWO_M53;
  }

  /** Uniform float32 in [0, 1) with 24 random bits (exactly representable). */
  uniformFloat32(): number {
    this.step();
    return (this.hi >>> 8) * TWO_M24;
  }

  /** Standard normal N(0, 1) by the polar method (see the file comment). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    let u: number, v: number, q: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      q = u * u + v * v;
    } while (q >= 1 || q === 0);
    const f = Math.sqrt((-2 * Math.log(q)) / q);
    this.spare = v * f;
    return u * f;
  }

  /** Uniform integer in [0, n) without modulo bias (rejection sampling); n an integer in [1, 2^53]. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) && n !== 2 ** 53) throw new Diff2in1Error('rng', `int(n) needs an integer n in [1, 2^53], got ${n}`);
    if (n < 1) throw new Diff2in1Error('rng', `int(n) needs n ≥ 1, got ${n}`);
    if (n <= TWO32) {
      const limit = TWO32 - (TWO32 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const span = 2 ** 53;
    const limit = span - (span % n);
    for (;;) {
      this.step();
      const x = this.hi * 2097152 + (this.lo >>> 11);
      if (x < limit) return x % n;
    }
  }

  /** Fisher–Yates shuffle in place (from the last index down, j = int(i + 1)); returns the array. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i] as T;
      array[i] = array[j] as T;
      array[j] = t;
    }
    return array;
  }

  /** Fills `out` with N(mean, std²) samples, in the same order as repeated normal() calls. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): Float32Array | Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fills `out` with uniform samples in [low, high) (53-bit uniforms; float32 rounding may reach `high`). */
  fillUniform(out: Float32Array | Float64Array, low = 0, high = 1): Float32Array | Float64Array {
    const w = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + w * this.uniform();
    return out;
  }

  /**
   * An independent generator for a named sub-task. Its seed is splitmix64-mix(mix(seed) XOR FNV-1a-64(tag+key)),
   * tag 's:' for strings and 'n:' for numbers; it depends only on this generator's seed and the key.
   */
  fork(key: string | number): Rng {
    const tagged = typeof key === 'number' ? `n:${key}` : `s:${key}`;
    return new Rng(mix64((mix64((this.seed + 0x9e3779b97f4a7c15n) & MASK64) ^ fnv1a64(tagged)) & MASK64));
  }

  /** The full generator state as a string, for checkpoints; restore with Rng.fromState. */
  getState(): string {
    return JSON.stringify({ v: 1, seed: this.seed.toString(), s: Array.from(this.s), spare: Number.isNaN(this.spare) ? null : this.spare });
  }

  /** Restores a generator saved with getState(). */
  static fromState(state: string): Rng {
    let o: { v?: unknown; seed?: unknown; s?: unknown; spare?: unknown };
    try {
      o = JSON.parse(state) as typeof o;
    } catch (e) {
      throw new Diff2in1Error('rng', `RNG state is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
    if (o.v !== 1 || typeof o.seed !== 'string' || !Array.isArray(o.s) || o.s.length !== 8 ||
      !o.s.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) < TWO32) || (o.spare !== null && typeof o.spare !== 'number')) {
      throw new Diff2in1Error('rng', 'RNG state has the wrong format (expected {v: 1, seed, s: 8 uint32, spare})');
    }
    const r = new Rng(BigInt(o.seed));
    r.s.set(o.s as number[]);
    r.spare = o.spare === null ? NaN : (o.spare as number);
    return r;
  }
}

/** A float32 tensor of standard normal samples (rng.normal() in row-major order). */
export function randn(rng: Rng, shape: readonly number[]): Tensor<'float32'> {
  const t = new Tensor('float32', shape);
  rng.fillNormal(t.data);
  return t;
}

/** A float32 tensor of uniform samples in [0, 1) (uniformFloat32, so never exactly 1). */
export function rand(rng: Rng, shape: readonly number[]): Tensor<'float32'> {
  const t = new Tensor('float32', shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniformFloat32();
  return t;
}
