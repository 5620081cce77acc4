import { describe, expect, it } from 'vitest';
import { DDPMScheduler } from './scheduling-ddpm.js';
import type { DDPMConfig } from './config.js';
import { TOL, f32a, fixture, inputs, maxAbsDiff, mismatches } from './fixtures/load.js';

interface AddNoiseCase { kind: 'add_noise'; t: number; config: Partial<DDPMConfig>; noisy: number[] }
interface StepCase {
  kind: 'step'; config: Partial<DDPMConfig>; n: number | null; t: number; noise_seed: string | null;
  prev_sample: number[]; pred_original_sample: number[];
}
const file = fixture<{ variance_noise: Record<string, number[]>; cases: (AddNoiseCase | StepCase)[] }>('ddpm.json');
const inp = inputs();

describe('DDPMScheduler vs diffusers v0.25.0', () => {
  for (const c of file.cases) {
    if (c.kind === 'add_noise') {
      it(`add_noise t=${c.t}`, () => {
        const s = new DDPMScheduler(c.config);
        const out = s.addNoise(inp.sample, inp.noise, c.t);
        expect(maxAbsDiff(out, c.noisy)).toBeLessThanOrEqual(TOL);
        expect(mismatches(out, c.noisy)).toBe(0);
      });
    } else {
      it(`step ${JSON.stringify(c.config)} n=${c.n} t=${c.t}`, () => {
        const s = new DDPMScheduler(c.config);
        if (c.n !== null) s.setTimesteps(c.n);
        const varianceNoise = c.noise_seed ? f32a(file.variance_noise[c.noise_seed]!) : undefined;
        const out = s.step(inp.modelOutput, c.t, inp.sample, varianceNoise ? { varianceNoise } : {});
        expect(maxAbsDiff(out.prevSample, c.prev_sample)).toBeLessThanOrEqual(TOL);
        expect(maxAbsDiff(out.predOriginalSample!, c.pred_original_sample)).toBeLessThanOrEqual(TOL);
        // exp/log go through libm in both (fixed_small_log), so only the others are required to be bit-exact
        if (c.config.variance_type !== 'fixed_small_log') expect(mismatches(out.prevSample, c.prev_sample)).toBe(0);
      });
    }
  }
});

describe('DDPM: closed forms', () => {
  it('addNoise(x0, ε, t) = √ᾱ_t·x0 + √(1−ᾱ_t)·ε with ᾱ_0 = 1 − β_0 and ᾱ_1 = (1 − β_0)(1 − β_1)', () => {
    const s = new DDPMScheduler(); // linear 1e-4 → 0.02
    const b1 = 0.0001 + (0.02 - 0.0001) / 999;
    for (const [t, a] of [[0, 1 - 0.0001], [1, (1 - 0.0001) * (1 - b1)]] as const) {
      expect(Math.abs(s.alphasCumprod[t]! - a)).toBeLessThan(6e-8); // one float32 rounding
      // the formula in double on the float32 ᾱ (1 − ᾱ cancels, so the ᾱ rounding itself is not compared)
      const af = s.alphasCumprod[t]!;
      const expected = inp.sample.map((x, i) => Math.sqrt(af) * x + Math.sqrt(1 - af) * inp.noise[i]!);
      expect(maxAbsDiff(s.addNoise(inp.sample, inp.noise, t), expected)).toBeLessThan(1e-6);
    }
  });

  it('with the true ε the step mean is the posterior mean of q(x_{t−1} | x_t, x0) (DDPM eq. 7)', () => {
    const s = new DDPMScheduler({ clip_sample: false });
    const x0 = inp.sample.map((v) => v * 0.3);
    const t = 400;
    const xt = s.addNoise(x0, inp.noise, t);
    const zero = new Float32Array(x0.length);
    const out = s.step(inp.noise, t, xt, { varianceNoise: zero });
    const a = s.alphasCumprod[t]!;
    const ap = s.alphasCumprod[t - 1]!;
    const beta = 1 - a / ap;
    const mean = x0.map((x, i) => (Math.sqrt(ap) * beta / (1 - a)) * x + (Math.sqrt(1 - beta) * (1 - ap) / (1 - a)) * xt[i]!);
    expect(maxAbsDiff(out.prevSample, mean)).toBeLessThan(1e-5);
    expect(maxAbsDiff(out.predOriginalSample!, x0)).toBeLessThan(1e-5);
    // and the noise enters with σ = √β̃ = √((1−ᾱ_prev)/(1−ᾱ_t)·β)
    const withNoise = s.step(inp.noise, t, xt, { varianceNoise: inp.modelOutput }).prevSample;
    const sigma = Math.sqrt((1 - ap) / (1 - a) * beta);
    expect(maxAbsDiff(withNoise, out.prevSample.map((m, i) => m + sigma * inp.modelOutput[i]!))).toBeLessThan(1e-6);
  });

  it('t > 0 needs noise; t = 0 adds none; unsupported variance types are named', () => {
    const s = new DDPMScheduler();
    expect(() => s.step(inp.modelOutput, 5, inp.sample)).toThrow(/pass varianceNoise/);
    expect(() => s.step(inp.modelOutput, 0, inp.sample)).not.toThrow();
    expect(() => new DDPMScheduler({ variance_type: 'learned_range' as never })).toThrow(/variance_type.*"fixed_small", "fixed_small_log", "fixed_large"/);
  });
});
