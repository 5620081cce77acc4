import { describe, expect, it } from 'vitest';
import { PNDMScheduler } from './scheduling-pndm.js';
import { fromConfig, sd15SchedulerConfig } from './from-config.js';
import { TOL, fakeEps, fixture, inputs, maxAbsDiff, mismatches } from './fixtures/load.js';

interface Seq { name: string; config: Record<string, unknown>; n: number; timesteps: number[]; samples: number[][] }
const golden = fixture<{ cases: Seq[] }>('pndm-sequences.json').cases;
const inp = inputs();

describe('PNDMScheduler sequences vs diffusers v0.25.0 (closed loop through a stand-in UNet)', () => {
  for (const c of golden) {
    it(`${c.name}: ${c.timesteps.length} steps`, () => {
      const s = fromConfig(c.config) as PNDMScheduler;
      s.setTimesteps(c.n);
      expect([...s.timesteps]).toEqual(c.timesteps);
      let x = inp.sample;
      let worst = 0;
      let differing = 0;
      s.timesteps.forEach((t, i) => {
        x = s.step(fakeEps(x, t), t, x).prevSample;
        worst = Math.max(worst, maxAbsDiff(x, c.samples[i]!));
        differing += mismatches(x, c.samples[i]!);
      });
      expect(worst).toBeLessThanOrEqual(TOL);
      expect(differing).toBe(0); // bit-identical at every step
    });
  }
});

describe('PNDM: closed forms', () => {
  // With the true, constant ε every multistep combination equals ε ((3−1)/2, (23−16+5)/12, (55−59+37−9)/24 and
  // the RK weights 1/6+1/3+1/3+1/6 all sum to 1), so the sample must stay on q(x_t | x0) = √ᾱ x0 + √(1−ᾱ) ε.
  const x0 = inp.sample.map((v) => v * 0.5);
  const eps = inp.noise;
  for (const skip of [true, false]) {
    it(`${skip ? 'PLMS' : 'PRK + PLMS'} keeps x_t on the forward-process path for constant ε`, () => {
      const s = fromConfig(sd15SchedulerConfig, { overrides: { skip_prk_steps: skip } }) as PNDMScheduler;
      s.setTimesteps(20);
      let x = s.addNoise(x0, eps, s.timesteps[0]!);
      for (const t of s.timesteps) x = s.step(eps, t, x).prevSample;
      expect(s.timesteps.at(-1)).toBe(1);
      // after the last step from t = 1 the sample sits at ᾱ_prev = ᾱ_0 (set_alpha_to_one false)
      const a0 = s.alphasCumprod[0]!;
      const expected = x0.map((v, i) => Math.sqrt(a0) * v + Math.sqrt(1 - a0) * eps[i]!);
      expect(maxAbsDiff(x, expected)).toBeLessThan(2e-5);
    });
  }

  it('the second PLMS call re-steps from the first sample with the averaged ε (Heun-like start)', () => {
    const s = fromConfig(sd15SchedulerConfig) as PNDMScheduler;
    s.setTimesteps(50);
    const x981 = inp.sample;
    const e0 = inp.modelOutput;
    const x961a = s.step(e0, 981, x981).prevSample;
    const e1 = inp.noise;
    const x961b = s.step(e1, 961, x961a).prevSample;
    // equals one plain step from 981 → 961 with ε = (e0 + e1)/2, starting again from x981
    const ref = fromConfig(sd15SchedulerConfig) as PNDMScheduler;
    ref.setTimesteps(50);
    const avg = e0.map((v, i) => (v + e1[i]!) / 2);
    expect(maxAbsDiff(x961b, ref.step(avg, 981, x981).prevSample)).toBe(0);
    expect(s.stepCount).toBe(2);
  });

  it('rejects prediction_type "sample" and stepping before setTimesteps; setTimesteps resets the history', () => {
    expect(() => new PNDMScheduler({ prediction_type: 'sample' as never })).toThrow(/prediction_type.*"epsilon", "v_prediction"/);
    const s = new PNDMScheduler({ skip_prk_steps: true });
    expect(() => s.step(inp.modelOutput, 10, inp.sample)).toThrow(/call setTimesteps/);
    s.setTimesteps(10);
    const first = s.step(inp.modelOutput, s.timesteps[0]!, inp.sample).prevSample;
    s.setTimesteps(10);
    expect(s.stepCount).toBe(0);
    expect(s.step(inp.modelOutput, s.timesteps[0]!, inp.sample).prevSample).toEqual(first);
  });
});
