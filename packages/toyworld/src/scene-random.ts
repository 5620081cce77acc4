// The random draws of scene generation, on @diff2in1/tensor's Rng (xoshiro256**, the project's one seeded
// generator). Scene `index` of dataset `seed` draws from Rng(seed).fork(index), a stream that depends only on
// (seed, index): scenes can be generated in any order, on any worker, with the same result.
import { Rng } from '@diff2in1/tensor';

/** Ranges, choices and weighted choices over one seeded stream, in the forms makeScene uses. */
export class SceneRandom {
  constructor(private readonly rng: Rng) {}

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.rng.uniform();
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + this.rng.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.rng.uniform() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[this.rng.int(items.length)] as T;
  }

  /** Index drawn with probability proportional to weights[i] (weights ≥ 0, not all 0). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.rng.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] as number;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** The draws for scene `index` of dataset `seed` (integers ≥ 0). */
export function sceneRandom(seed: number, index: number): SceneRandom {
  return new SceneRandom(new Rng(seed).fork(index));
}
