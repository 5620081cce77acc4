import { describe, expect, it } from 'vitest';
import { denoise, denoiseFrom, getImg2ImgTimesteps, getStartTimesteps } from './partial-noise.js';
import { diff2in1OfficialDdimConfig, fromConfig, sd15SchedulerConfig } from './from-config.js';
import { ldmAlphasCumprod, ldmQSample, ldmSchedule } from './ldm-ddim.js';
import { TOL, f32a, fakeEps, fixture, inputs, maxAbsDiff, mismatches } from './fixtures/load.js';
import type { SchedulerClassName } from './scheduling-utils.js';

interface GetTs { class: SchedulerClassName; n: number; strength: number; timesteps: number[]; num_inference_steps: number }
interface Loop { class: SchedulerClassName; n: number; strength: number; timesteps: number[]; noisy: number[]; final: number[] }
const img2img = fixture<{ get_timesteps: GetTs[]; loops: Loop[] }>('img2img.json');
interface OfficialCase { T: number; ddim_steps: number; ddim_timesteps: number[]; unet_timesteps: number[]; x_noisy: number[]; final: number[] }
const official = fixture<{ ldm_alphas_cumprod: number[]; cases: OfficialCase[] }>('official.json');
const inp = inputs();

describe("getImg2ImgTimesteps vs diffusers' StableDiffusionImg2ImgPipeline.get_timesteps", () => {
  for (const c of img2img.get_timesteps) {
    it(`${c.class} n=${c.n} strength=${c.strength}`, () => {
      const plan = getImg2ImgTimesteps(fromConfig(sd15SchedulerConfig, { className: c.class }), c.n, c.strength);
      expect([...plan.timesteps]).toEqual(c.timesteps);
      expect(plan.numInferenceSteps).toBe(c.num_inference_steps);
      expect(plan.noiseTimestep).toBe(c.timesteps[0] ?? null);
    });
  }

  it('strength 0 runs nothing and returns the input exactly; strength 1 is the full schedule', async () => {
    const s = fromConfig(sd15SchedulerConfig, { className: 'DDIMScheduler' });
    const none = getImg2ImgTimesteps(s, 50, 0);
    expect(none.timesteps).toEqual([]);
    let calls = 0;
    const out = await denoiseFrom({ scheduler: s, original: inp.sample, noise: inp.noise, plan: none, predictNoise: (x) => { calls++; return x; } });
    expect(calls).toBe(0);
    expect(out).toEqual(inp.sample);
    expect(out).not.toBe(inp.sample);
    const full = getImg2ImgTimesteps(s, 50, 1);
    expect([...full.timesteps]).toEqual(Array.from({ length: 50 }, (_, i) => 981 - 20 * i));
    expect(full.noiseTimestep).toBe(981);
    expect(() => getImg2ImgTimesteps(s, 50, 1.2)).toThrow(/strength must be a number in \[0, 1\]/);
  });
});

describe('img2img latent loop (add_noise at timesteps[0], then step) vs diffusers', () => {
  for (const c of img2img.loops) {
    it(`${c.class} n=${c.n} strength=${c.strength}: ${c.timesteps.length} steps`, async () => {
      const s = fromConfig(sd15SchedulerConfig, { className: c.class });
      const plan = getImg2ImgTimesteps(s, c.n, c.strength);
      expect([...plan.timesteps]).toEqual(c.timesteps);
      expect(maxAbsDiff(s.addNoise(inp.sample, inp.noise, plan.noiseTimestep!), c.noisy)).toBe(0);
      const seen: number[] = [];
      const out = await denoiseFrom({
        scheduler: s, original: inp.sample, noise: inp.noise, plan,
        predictNoise: (x, t) => fakeEps(x, t),
        onStep: (info) => { seen.push(info.timestep); },
      });
      expect(seen).toEqual(c.timesteps);
      expect(maxAbsDiff(out, c.final)).toBeLessThanOrEqual(TOL);
      expect(mismatches(out, c.final)).toBe(0);
    });
  }
});

describe('official Diff-2-in-1 start at T (data_creation.py + the LDM DDIMSampler, run on its own code)', () => {
  it('ldmAlphasCumprod equals LatentDiffusion.alphas_cumprod (float64 cumprod, float32 buffer)', () => {
    const ac = ldmAlphasCumprod();
    expect(mismatches(ac, official.ldm_alphas_cumprod)).toBe(0);
    // and differs from diffusers' float32 scaled_linear table by a few float32 ulps only
    const diffusers = fromConfig(sd15SchedulerConfig).alphasCumprod;
    const d = maxAbsDiff(ac, diffusers);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(5e-7);
  });

  for (const c of official.cases) {
    it(`T=${c.T}, ${c.ddim_steps} steps: same timesteps, noising and result as the official sampler`, async () => {
      const ldm = ldmSchedule();
      const s = fromConfig(diff2in1OfficialDdimConfig, { alphasCumprod: ldm.alphasCumprod });
      const plan = getStartTimesteps(s, c.ddim_steps, c.T);
      expect([...plan.timesteps]).toEqual([...c.ddim_timesteps].reverse());
      expect([...plan.timesteps]).toEqual(c.unet_timesteps);
      expect(plan.noiseTimestep).toBe(c.T);
      const z = inp.sample.subarray(0, 64);
      const noise = inp.noise.subarray(0, 64);
      // q_sample: bit-identical with ldmQSample; the scheduler's addNoise (√ from the float32 ᾱ) within tolerance
      const addNoise = (x: Float32Array, n: Float32Array, t: number): Float32Array => ldmQSample(ldm, x, n, t);
      expect(mismatches(addNoise(z, noise, c.T), c.x_noisy)).toBe(0);
      expect(maxAbsDiff(s.addNoise(z, noise, c.T), c.x_noisy)).toBeLessThanOrEqual(TOL);
      // the whole path: noising + every DDIM step bit-identical to the official sampler
      const out = await denoiseFrom({ scheduler: s, original: z, noise, plan, predictNoise: fakeEps, addNoise });
      expect(mismatches(out, c.final)).toBe(0);
      // with the scheduler's own addNoise the one-ulp noising difference grows by at most a few ulps
      const viaAddNoise = await denoiseFrom({ scheduler: s, original: z, noise, plan, predictNoise: fakeEps });
      expect(maxAbsDiff(viaAddNoise, c.final)).toBeLessThan(3e-6);
      // and starting from the official x_noisy the 50 steps alone are bit-identical too
      const fromOfficialNoisy = await denoise({ scheduler: s, latents: f32a(c.x_noisy), timesteps: plan.timesteps, predictNoise: fakeEps });
      expect(mismatches(fromOfficialNoisy, c.final)).toBe(0);
    });
  }

  it("with diffusers' own ᾱ table (what a diffusers SD folder gives) the official path agrees to float32 noise", async () => {
    const c = official.cases.find((k) => k.T === 600 && k.ddim_steps === 50)!;
    const s = fromConfig(sd15SchedulerConfig, { className: 'DDIMScheduler' });
    const plan = getStartTimesteps(s, 50, 600);
    expect([...plan.timesteps]).toEqual(c.unet_timesteps);
    const out = await denoiseFrom({ scheduler: s, original: inp.sample.subarray(0, 64), noise: inp.noise.subarray(0, 64), plan, predictNoise: fakeEps });
    expect(maxAbsDiff(out, c.final)).toBeLessThan(5e-6); // measured 3.0e-6 on outputs of magnitude ≤ 3
  });

  it('startTimestep is validated', () => {
    const s = fromConfig(diff2in1OfficialDdimConfig);
    expect(() => getStartTimesteps(s, 50, 1000)).toThrow(/startTimestep must be an integer in \[1, 999\]/);
    expect(() => getStartTimesteps(s, 700, 600)).toThrow(/numInferenceSteps must be an integer in \[1, startTimestep = 600\]/);
  });
});

describe('denoise loop', () => {
  it('passes step options per step, reports progress, honours abort, rejects wrong-size predictions', async () => {
    const s = fromConfig(sd15SchedulerConfig, { className: 'DDIMScheduler' });
    s.setTimesteps(5);
    const etas: number[] = [];
    await denoise({
      scheduler: s, latents: inp.sample, timesteps: s.timesteps, predictNoise: fakeEps,
      stepOptions: (i) => { etas.push(i); return { eta: 0 }; },
    });
    expect(etas).toEqual([0, 1, 2, 3, 4]);
    const ac = new AbortController();
    ac.abort();
    await expect(denoise({ scheduler: s, latents: inp.sample, timesteps: s.timesteps, predictNoise: fakeEps, signal: ac.signal })).rejects.toThrow();
    await expect(denoise({ scheduler: s, latents: inp.sample, timesteps: s.timesteps, predictNoise: (x) => x.subarray(1) })).rejects.toThrow(/predictNoise output has 127 elements/);
  });
});
