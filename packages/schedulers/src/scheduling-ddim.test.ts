import { describe, expect, it } from 'vitest';
import { DDIMScheduler } from './scheduling-ddim.js';
import { fromConfig, sd15SchedulerConfig } from './from-config.js';
import type { DDIMConfig } from './config.js';
import { TOL, f32a, fixture, inputs, maxAbsDiff, mismatches } from './fixtures/load.js';

interface StepCase {
  name: string; config: Partial<DDIMConfig>; n: number; t: number; eta: number; use_clipped_model_output: boolean;
  model_output: number[] | null; prev_sample: number[]; pred_original_sample: number[];
}
const golden = fixture<{ cases: StepCase[] }>('ddim-steps.json').cases;
const inp = inputs();

function sd15Ddim(config: Partial<DDIMConfig>): DDIMScheduler {
  return fromConfig(sd15SchedulerConfig, { className: 'DDIMScheduler', overrides: config }) as DDIMScheduler;
}

describe('DDIMScheduler.step vs diffusers v0.25.0', () => {
  let exact = 0;
  for (const c of golden) {
    it(c.name, () => {
      const s = sd15Ddim(c.config);
      s.setTimesteps(c.n);
      const mo = c.model_output ? f32a(c.model_output) : inp.modelOutput;
      const out = s.step(mo, c.t, inp.sample, {
        eta: c.eta, useClippedModelOutput: c.use_clipped_model_output, batchSize: inp.shape[0]!,
        ...(c.eta > 0 ? { varianceNoise: inp.noise } : {}),
      });
      expect(maxAbsDiff(out.prevSample, c.prev_sample)).toBeLessThanOrEqual(TOL);
      expect(maxAbsDiff(out.predOriginalSample!, c.pred_original_sample)).toBeLessThanOrEqual(TOL);
      if (mismatches(out.prevSample, c.prev_sample) === 0 && mismatches(out.predOriginalSample!, c.pred_original_sample) === 0) exact++;
    });
  }
  it('every case is bit-identical in float32, not merely within tolerance', () => {
    expect(exact).toBe(golden.length);
  });
});

describe('DDIM: closed forms', () => {
  const x0 = inp.sample.map((v) => v * 0.5);
  const eps = inp.noise;

  it('ε-prediction with the exact noise recovers x0 and lands on q(x_prev | x0) (η = 0)', () => {
    const s = sd15Ddim({});
    s.setTimesteps(50);
    for (const t of [981, 501, 21]) {
      const xt = s.addNoise(x0, eps, t);
      const out = s.step(eps, t, xt);
      expect(maxAbsDiff(out.predOriginalSample!, x0)).toBeLessThan(2e-5 / Math.sqrt(s.alphasCumprod[t]!));
      const expected = s.addNoise(x0, eps, t - 20);
      expect(maxAbsDiff(out.prevSample, expected)).toBeLessThan(2e-5);
    }
  });

  it('v-prediction with v = √ᾱ·ε − √(1−ᾱ)·x0 recovers x0 and ε', () => {
    const s = sd15Ddim({ prediction_type: 'v_prediction' });
    s.setTimesteps(50);
    const t = 501;
    const a = s.alphasCumprod[t]!;
    const v = x0.map((x, i) => Math.sqrt(a) * eps[i]! - Math.sqrt(1 - a) * x);
    const out = s.step(v, t, s.addNoise(x0, eps, t));
    expect(maxAbsDiff(out.predOriginalSample!, x0)).toBeLessThan(2e-6);
    expect(maxAbsDiff(out.prevSample, s.addNoise(x0, eps, t - 20))).toBeLessThan(4e-6);
  });

  it('the last step of a set_alpha_to_one=false schedule uses ᾱ_0 as ᾱ_prev', () => {
    const s = sd15Ddim({});
    s.setTimesteps(50);
    const xt = s.addNoise(x0, eps, 1);
    const out = s.step(eps, 1, xt);
    const a0 = s.alphasCumprod[0]!;
    const expected = x0.map((x, i) => Math.sqrt(a0) * x + Math.sqrt(1 - a0) * eps[i]!);
    expect(maxAbsDiff(out.prevSample, expected)).toBeLessThan(2e-6);
  });

  it('η = 1 adds σ_t·z with σ_t² = (1−ᾱ_prev)/(1−ᾱ_t)·(1−ᾱ_t/ᾱ_prev)', () => {
    const s = sd15Ddim({});
    s.setTimesteps(50);
    const t = 501;
    const xt = s.addNoise(x0, eps, t);
    const z = inp.modelOutput;
    const det = s.step(eps, t, xt).prevSample;
    const sto = s.step(eps, t, xt, { eta: 1, varianceNoise: z }).prevSample;
    const a = s.alphasCumprod[t]!;
    const ap = s.alphasCumprod[t - 20]!;
    const sigma2 = (1 - ap) / (1 - a) * (1 - a / ap);
    // x_prev = √ᾱ_prev x0 + √(1−ᾱ_prev−σ²) ε + σ z
    const expected = x0.map((x, i) => Math.sqrt(ap) * x + Math.sqrt(1 - ap - sigma2) * eps[i]! + Math.sqrt(sigma2) * z[i]!);
    expect(maxAbsDiff(sto, expected)).toBeLessThan(1e-5);
    expect(maxAbsDiff(sto, det)).toBeGreaterThan(1e-3);
  });

  it('η > 0 needs exactly one noise source; step needs setTimesteps; shapes must agree', () => {
    const s = new DDIMScheduler();
    expect(() => s.step(inp.modelOutput, 500, inp.sample)).toThrow(/call setTimesteps/);
    s.setTimesteps(10);
    expect(() => s.step(inp.modelOutput, 500, inp.sample, { eta: 0.5 })).toThrow(/pass varianceNoise .* or randn/);
    expect(() => s.step(inp.modelOutput, 500, inp.sample, { eta: 0.5, varianceNoise: inp.noise, randn: (n) => new Float32Array(n) })).toThrow(/not both/);
    expect(() => s.step(inp.modelOutput.subarray(1), 500, inp.sample)).toThrow(/modelOutput has 127 elements but sample has 128/);
    expect(() => s.step(inp.modelOutput, 1000, inp.sample)).toThrow(/timestep 1000 is outside \[0, 999\]/);
    const viaRandn = s.step(inp.modelOutput, 500, inp.sample, { eta: 0.5, randn: () => inp.noise }).prevSample;
    expect(viaRandn).toEqual(s.step(inp.modelOutput, 500, inp.sample, { eta: 0.5, varianceNoise: inp.noise }).prevSample);
  });

  it('scaleModelInput is the identity and initNoiseSigma is 1', () => {
    const s = new DDIMScheduler();
    expect(s.scaleModelInput(inp.sample, 10)).toBe(inp.sample);
    expect(s.initNoiseSigma).toBe(1);
  });
});
