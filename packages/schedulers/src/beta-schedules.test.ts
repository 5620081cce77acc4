import { describe, expect, it } from 'vitest';
import { alphasCumprodOf, makeBetas, rescaleZeroTerminalSnr, scheduleTables } from './beta-schedules.js';
import { resolveConfig } from './config.js';
import { DDIMScheduler } from './scheduling-ddim.js';
import { TOL, f32a, fixture, maxAbsDiff, mismatches } from './fixtures/load.js';

interface BetasCase { config: Record<string, unknown>; betas: number[]; alphas_cumprod: number[] }
const golden = fixture<{ cases: BetasCase[] }>('betas.json').cases;

describe('beta schedules vs diffusers v0.25.0', () => {
  for (const c of golden) {
    it(`${JSON.stringify(c.config)}`, () => {
      const s = new DDIMScheduler(c.config);
      expect(maxAbsDiff(s.betas, c.betas)).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(s.alphasCumprod, c.alphas_cumprod)).toBeLessThanOrEqual(TOL);
      // the float32 recipe is exact, not merely close (torch's linspace kernel and double-accumulated cumprod)
      expect(mismatches(s.betas, c.betas)).toBe(0);
      expect(mismatches(s.alphasCumprod, c.alphas_cumprod)).toBe(0);
    });
  }
});

describe('beta schedules: closed forms', () => {
  it('linear: ᾱ_t = Π(1 − β_s) with β_s = start + (end − start)·s/(T−1), to float32 accuracy', () => {
    const T = 1000;
    const ac = alphasCumprodOf(makeBetas(resolveConfig('DDIMScheduler', { beta_schedule: 'linear' })));
    let prod = 1;
    let worst = 0;
    for (let s = 0; s < T; s++) {
      prod *= 1 - (0.0001 + (0.02 - 0.0001) * s / (T - 1));
      worst = Math.max(worst, Math.abs(ac[s]! - prod) / prod);
    }
    expect(worst).toBeLessThan(2e-5); // float32 betas carry ~1e-7 relative error each, summed over the chain
    expect(ac[0]).toBe(Math.fround(1 - Math.fround(0.0001)));
  });

  it('scaled_linear: β_t = (√start + (√end − √start)·t/(T−1))²', () => {
    const b = makeBetas(resolveConfig('DDIMScheduler', { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 }));
    for (const t of [0, 1, 499, 500, 998, 999]) {
      const r = Math.sqrt(0.00085) + (Math.sqrt(0.012) - Math.sqrt(0.00085)) * t / 999;
      expect(Math.abs(b[t]! - r * r) / (r * r)).toBeLessThan(3e-7);
    }
  });

  it('squaredcos_cap_v2: ᾱ follows cos²((t/T + s)/(1 + s)·π/2) / cos²(s/(1 + s)·π/2), β ≤ 0.999', () => {
    const T = 1000;
    const b = makeBetas(resolveConfig('DDIMScheduler', { beta_schedule: 'squaredcos_cap_v2' }));
    const f = (t: number): number => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
    let prod = 1;
    for (let i = 0; i < T - 1; i++) {
      prod *= 1 - b[i]!;
      expect(Math.abs(prod - f((i + 1) / T) / f(0))).toBeLessThan(1e-5);
    }
    expect(b[T - 1]).toBe(Math.fround(0.999));
  });

  it('rescale_betas_zero_snr: ᾱ_T = 0 and ᾱ_0 is kept', () => {
    const cfg = resolveConfig('DDIMScheduler', { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    const plain = alphasCumprodOf(makeBetas(cfg));
    const rescaled = alphasCumprodOf(rescaleZeroTerminalSnr(makeBetas(cfg)));
    expect(rescaled[999]).toBe(0);
    expect(Math.abs(rescaled[0]! - plain[0]!)).toBeLessThan(1e-7);
    for (let t = 1; t < 1000; t++) expect(rescaled[t]!).toBeLessThanOrEqual(plain[t]! + 1e-7);
  });

  it('trained_betas must match num_train_timesteps; alphasCumprod override length is checked', () => {
    expect(() => new DDIMScheduler({ trained_betas: [0.1, 0.2], num_train_timesteps: 3 })).toThrow(/trained_betas has 2 entries but num_train_timesteps is 3/);
    expect(() => scheduleTables('X', resolveConfig('DDIMScheduler', {}), { alphasCumprod: f32a([0.5]) })).toThrow(/alphasCumprod has 1 entries/);
  });
});
