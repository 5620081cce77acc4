import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Rng, rand, randn } from './rng.js';

// Made by tools/golden-rng.c (plain uint64_t C reference of splitmix64 + xoshiro256**, glibc log/sqrt).
const golden = JSON.parse(readFileSync(new URL('./fixtures/rng-golden.json', import.meta.url), 'utf8')) as {
  cases: { seed: string; u64: string[]; uniform: number[]; normal: number[] }[];
};

describe('Rng (xoshiro256** seeded by splitmix64)', () => {
  it('matches the C reference bit for bit', () => {
    expect(golden.cases.length).toBe(4);
    for (const g of golden.cases) {
      const seed = BigInt(g.seed);
      const r = new Rng(seed);
      expect(g.u64.map(() => r.nextUint64().toString())).toEqual(g.u64);
      const u = new Rng(seed);
      expect(g.uniform.map(() => u.uniform())).toEqual(g.uniform);
      const n = new Rng(seed);
      for (const want of g.normal) {
        const got = n.normal();
        expect(Math.abs(got - want)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(1, Math.abs(want)));
      }
    }
  });
  it('accepts number and bigint seeds alike, and negative seeds as 64-bit two’s complement', () => {
    expect(new Rng(42).uniform()).toBe(new Rng(42n).uniform());
    expect(new Rng(-1).nextUint64()).toBe(BigInt(golden.cases[2]!.u64[0]!));
    expect(() => new Rng(1.5)).toThrow(/integer/);
  });
  it('gives 24-bit float32 uniforms from the top bits of the same outputs', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    for (let i = 0; i < 100; i++) {
      const x = a.uniformFloat32();
      expect(x).toBe(Math.fround(x));
      expect(x).toBe(Math.floor(b.uniform() * 2 ** 24) / 2 ** 24);
    }
  });
  it('has normal mean 0 and variance 1 within statistical bounds (1e6 samples)', () => {
    const n = 1_000_000;
    const x = new Float64Array(n);
    new Rng(2024).fillNormal(x);
    let s = 0, s2 = 0, s4 = 0, within1 = 0;
    for (const v of x) { s += v; s2 += v * v; s4 += v ** 4; if (Math.abs(v) < 1) within1++; }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    // Standard errors: mean 1/√n = 0.001; variance √(2/n) ≈ 0.0014; bounds are 5 standard errors.
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1)).toBeLessThan(0.0071);
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n)); // kurtosis: Var(x⁴) = 105 − 9 = 96
    // P(|x| < 1) = erf(1/√2) = 0.682689...; binomial s.e. √(p(1−p)/n) ≈ 0.000465
    expect(Math.abs(within1 / n - 0.6826894921)).toBeLessThan(0.0024);
  });
  it('fillNormal with mean/std equals scaled normal() calls', () => {
    const a = new Float32Array(5);
    new Rng(3).fillNormal(a, 2, 0.5);
    const r = new Rng(3);
    expect(Array.from(a)).toEqual([0, 1, 2, 3, 4].map(() => Math.fround(2 + 0.5 * r.normal())));
  });
  it('fillUniform stays in [low, high) and is flat (chi-square over 10 bins)', () => {
    const x = new Float64Array(100_000);
    new Rng(5).fillUniform(x, -2, 3);
    const bins = new Array<number>(10).fill(0);
    let outside = 0;
    for (const v of x) {
      if (!(v >= -2 && v < 3)) outside++;
      else bins[Math.floor((v + 2) / 0.5)]! += 1;
    }
    expect(outside).toBe(0);
    const chi2 = bins.reduce((a, c) => a + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(27.88); // 99.9th percentile of chi-square with 9 d.o.f.
  });
  it('int(n) is unbiased and in range', () => {
    const r = new Rng(11);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]! += 1;
    const chi2 = counts.reduce((a, c) => a + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(22.46); // 99.9th percentile, 6 d.o.f.
    for (let i = 0; i < 1000; i++) {
      const v = r.int(2 ** 40 + 3);
      expect(Number.isInteger(v) && v >= 0 && v < 2 ** 40 + 3).toBe(true);
    }
    expect(r.int(1)).toBe(0);
    expect(() => r.int(0)).toThrow(/n ≥ 1/);
    expect(() => r.int(2.5)).toThrow(/integer/);
  });
  it('shuffle is a permutation and every position is uniform', () => {
    const r = new Rng(9);
    const pos0 = new Array<number>(5).fill(0);
    let notPerm = 0;
    for (let t = 0; t < 50_000; t++) {
      const a = r.shuffle([0, 1, 2, 3, 4]);
      if ([...a].sort().join() !== '0,1,2,3,4') notPerm++;
      pos0[a[0]!]! += 1;
    }
    expect(notPerm).toBe(0);
    const chi2 = pos0.reduce((a, c) => a + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(18.47); // 99.9th percentile, 4 d.o.f.
  });
  it('forks are deterministic, distinct, independent of parent draws, and uncorrelated', () => {
    const p = new Rng(1);
    const a1 = p.fork('data').uniform();
    p.uniform(); p.uniform();
    expect(p.fork('data').uniform()).toBe(a1);
    expect(new Rng(1).fork('data').uniform()).toBe(a1);
    expect(new Rng(2).fork('data').uniform()).not.toBe(a1);
    expect(p.fork(1).uniform()).not.toBe(p.fork('1').uniform());
    // Correlation of two forks' streams and of a fork with its parent: |r| < 5/√n.
    const n = 100_000;
    const corr = (x: Float64Array, y: Float64Array): number => {
      let sx = 0, sy = 0, sxy = 0, sxx = 0, syy = 0;
      for (let i = 0; i < n; i++) { const a = x[i]!, b = y[i]!; sx += a; sy += b; sxy += a * b; sxx += a * a; syy += b * b; }
      return (sxy / n - (sx / n) * (sy / n)) / Math.sqrt((sxx / n - (sx / n) ** 2) * (syy / n - (sy / n) ** 2));
    };
    const root = new Rng(77);
    const x = root.fork('a').fillNormal(new Float64Array(n)) as Float64Array;
    const y = root.fork('b').fillNormal(new Float64Array(n)) as Float64Array;
    const z = new Rng(77).fillNormal(new Float64Array(n)) as Float64Array;
    expect(Math.abs(corr(x, y))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(corr(x, z))).toBeLessThan(5 / Math.sqrt(n));
  });
  it('saves and restores its state mid-stream (including a cached normal)', () => {
    const r = new Rng(31);
    r.normal();
    const saved = r.getState();
    const want = [r.normal(), r.uniform(), r.normal()];
    const back = Rng.fromState(saved);
    expect([back.normal(), back.uniform(), back.normal()]).toEqual(want);
    expect(() => Rng.fromState('{"v":1}')).toThrow(/wrong format/);
  });
  it('randn / rand build tensors in row-major order', () => {
    const t = randn(new Rng(4), [2, 3]);
    expect(t.shape).toEqual([2, 3]);
    const r = new Rng(4);
    expect(Array.from(t.data)).toEqual([0, 1, 2, 3, 4, 5].map(() => Math.fround(r.normal())));
    const u = rand(new Rng(4), [4]);
    const r2 = new Rng(4);
    expect(Array.from(u.data)).toEqual([0, 1, 2, 3].map(() => r2.uniformFloat32()));
  });
});
