// The sampler's wiring, on the deterministic test double (src/testing/sd-double.ts), against the official DDIM
// recurrence written out here in float64 (ldm/models/diffusion/ddim.py, p_sample_ddim with eta 0, as
// data_creation.py runs it): x_T = √ᾱ_T·z + √(1−ᾱ_T)·ε; for t in 589, 577, …, 1: x̂0 = (x − √(1−ᾱ_t)·ε̂)/√ᾱ_t,
// x ← √ᾱ_prev·x̂0 + √(1−ᾱ_prev)·ε̂ with ᾱ_prev = ᾱ_{t−12} (ᾱ_0 after t = 1).
import { describe, expect, it } from 'vitest';
import { Rng, Tensor, tensorToRaw } from '@diff2in1/tensor';
import { createFromImage, generateFromNoise, schedulerFor, toModelInput } from './sampler.js';
import { DOUBLE_SCALE, SdTestDouble, doubleEps } from './testing/sd-double.js';

function testImage(h: number, w: number, seed: number): Tensor<'float32'> {
  const r = new Rng(seed);
  const t = new Tensor('float32', [3, h, w]);
  for (let i = 0; i < t.data.length; i++) t.data[i] = r.uniform();
  return t;
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

/** The official recurrence in float64 from z with noise, over timesteps `ts` (descending) with ᾱ_prev as described. */
function officialDdim(alphas: Float32Array, z: Float32Array, noise: Float32Array, T: number, ts: number[], prevOf: (t: number) => number, ctxMean: number): Float64Array {
  const aT = alphas[T]!;
  let x = Float64Array.from(z, (v, i) => Math.sqrt(aT) * v + Math.sqrt(1 - aT) * noise[i]!);
  for (const t of ts) {
    const a = alphas[t]!, ap = prevOf(t);
    x = x.map((v) => {
      const e = doubleEps(v, t, ctxMean);
      const x0 = (v - Math.sqrt(1 - a) * e) / Math.sqrt(a);
      return Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * e;
    });
  }
  return x;
}

describe('createFromImage on the test double', () => {
  const img = testImage(32, 48, 1);

  it('T = 600, 50 DDIM steps: noised at exactly 600, runs 589 … 1 stride 12, equals the official recurrence', async () => {
    const sd = new SdTestDouble();
    const seed = 7;
    const res = await createFromImage(sd, img, { caption: 'a red box', seed, latentMode: 'mean' });
    expect(res.plan.noiseTimestep).toBe(600);
    expect(res.plan.timesteps).toEqual(Array.from({ length: 50 }, (_, i) => 589 - 12 * i));
    expect(sd.calls.predictNoise).toBe(50);
    expect(sd.calls.encodePrompt).toEqual(['a red box']); // no CFG: no unconditional prompt
    // The source latent is the double's posterior mean of the image in [−1, 1].
    const z = (await new SdTestDouble().encodeImage(toModelInput(img), { mode: 'mean' })).data;
    expect(Array.from(res.sourceLatent.data)).toEqual(Array.from(z));
    const noise = new Rng(seed).fork('noise').fillNormal(new Float32Array(z.length)) as Float32Array;
    const alphas = schedulerFor(sd).alphasCumprod;
    const ctx = mean((await new SdTestDouble().encodePrompt(['a red box'])).data);
    const want = officialDdim(alphas, z, noise, 600, res.plan.timesteps as number[], (t) => alphas[t - 12 < 0 ? 0 : t - 12]!, ctx);
    let maxErr = 0;
    for (let i = 0; i < want.length; i++) maxErr = Math.max(maxErr, Math.abs(want[i]! - res.latent.data[i]!));
    expect(maxErr).toBeLessThan(2e-5);
    // Decoding: the double's decoder, then (x + 1)/2·255 rounded, clamped (data_creation.py's cv2.imwrite).
    const decoded = await new SdTestDouble().decodeLatents(res.latent);
    const raw = tensorToRaw(new Tensor('float32', [3, 32, 48], decoded.data), { range: '-1-1' });
    expect(res.image.width).toBe(48);
    expect(res.image.height).toBe(32);
    expect(res.image.channels).toBe(3);
    expect(Buffer.from(res.image.data).equals(Buffer.from(raw.data))).toBe(true);
    // … and the same pixels as data_creation.py's formula, within one level (float rounding at .5).
    for (let p = 0; p < 32 * 48; p += 5) {
      for (let c = 0; c < 3; c++) {
        const v = Math.min(255, Math.max(0, Math.round(((Math.min(1, Math.max(-1, decoded.data[c * 32 * 48 + p]!)) + 1) / 2) * 255)));
        expect(Math.abs(res.image.data[p * 3 + c]! - v)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('strength: diffusers img2img schedule (0.6 of 50 → 30 steps from 581, stride 20); strength 0 returns the latent and runs nothing', async () => {
    const sd = new SdTestDouble();
    const res = await createFromImage(sd, img, { caption: 'x', strength: 0.6, seed: 1 });
    expect(res.plan.noiseTimestep).toBe(581);
    expect(res.plan.timesteps).toEqual(Array.from({ length: 30 }, (_, i) => 581 - 20 * i));
    const sd0 = new SdTestDouble();
    const r0 = await createFromImage(sd0, img, { caption: 'x', strength: 0, seed: 1 });
    expect(sd0.calls.predictNoise).toBe(0);
    expect(Array.from(r0.latent.data)).toEqual(Array.from(r0.sourceLatent.data));
    await expect(createFromImage(sd0, img, { caption: 'x', strength: 0.5, T: 300 })).rejects.toThrow(/either T .* or strength/);
  });

  it('guidance ≠ 1 encodes the negative prompt and combines ε̂ as uncond + s·(cond − uncond)', async () => {
    const sd = new SdTestDouble();
    const a = await createFromImage(sd, img, { caption: 'a lamp', guidanceScale: 3, negativePrompt: 'blurry', seed: 2, T: 300, steps: 10 });
    expect(sd.calls.encodePrompt).toEqual(['a lamp', 'blurry']);
    const b = await createFromImage(new SdTestDouble(), img, { caption: 'a lamp', seed: 2, T: 300, steps: 10 });
    expect(Buffer.from(a.latent.data.buffer).equals(Buffer.from(b.latent.data.buffer))).toBe(false);
  });

  it('posterior sample vs mean, eta > 0, and seeds: same seed → same bytes, other seed → other bytes', async () => {
    const run = (o: object) => createFromImage(new SdTestDouble(), img, { caption: 'c', T: 400, steps: 8, ...o });
    const s1 = await run({ seed: 5 });
    const s1b = await run({ seed: 5 });
    const s2 = await run({ seed: 6 });
    expect(Buffer.from(s1.image.data).equals(Buffer.from(s1b.image.data))).toBe(true);
    expect(Buffer.from(s1.latent.data.buffer).equals(Buffer.from(s2.latent.data.buffer))).toBe(false);
    const m = await run({ seed: 5, latentMode: 'mean' });
    const diff = s1.sourceLatent.data.map((v, i) => v - m.sourceLatent.data[i]!);
    const std = Math.sqrt(mean(diff.map((v) => v * v)));
    expect(std).toBeGreaterThan(0.03); // the double's posterior std is 0.05
    expect(std).toBeLessThan(0.07);
    const e1 = await run({ seed: 5, eta: 1 });
    const e1b = await run({ seed: 5, eta: 1 });
    expect(Buffer.from(e1.latent.data.buffer).equals(Buffer.from(e1b.latent.data.buffer))).toBe(true);
    expect(Buffer.from(e1.latent.data.buffer).equals(Buffer.from(s1.latent.data.buffer))).toBe(false);
  });

  it('PNDM runs its own schedule; bad sizes and options name the problem', async () => {
    const sd = new SdTestDouble();
    const p = await createFromImage(sd, img, { caption: 'c', scheduler: 'pndm', T: 600, steps: 10, seed: 1 });
    expect(p.plan.timesteps.length).toBeGreaterThan(0);
    expect(sd.calls.predictNoise).toBe(p.plan.timesteps.length);
    await expect(createFromImage(sd, testImage(30, 48, 1), { caption: 'c' })).rejects.toThrow(/48×30.*multiples of the VAE scale factor 8/);
    await expect(createFromImage(sd, img, { caption: 'c', steps: 0 })).rejects.toThrow(/steps must be an integer/);
    await expect(createFromImage(sd, img, { caption: 'c', scheduler: 'euler' as 'ddim' })).rejects.toThrow(/one of: ddim, pndm/);
  });
});

describe('generateFromNoise on the test double', () => {
  it('starts from N(0, 1) noise and runs the full 50-step DDIM schedule (981 … 1), equal to the recurrence', async () => {
    const sd = new SdTestDouble();
    const res = await generateFromNoise(sd, { prompt: 'a room', height: 16, width: 24, seed: 3 });
    expect(res.timesteps).toEqual(Array.from({ length: 50 }, (_, i) => 981 - 20 * i));
    expect(res.latent.shape).toEqual([1, 4, 2, 3]);
    expect(res.image.width).toBe(24);
    const start = new Rng(3).fork('noise').fillNormal(new Float32Array(24)) as Float32Array;
    const alphas = schedulerFor(sd).alphasCumprod;
    const ctx = mean((await new SdTestDouble().encodePrompt(['a room'])).data);
    // The recurrence's first line noises z at T; with ᾱ_T := 0 it is the noise itself: run it from a pure start.
    let x = Float64Array.from(start);
    for (const t of res.timesteps) {
      const a = alphas[t]!, ap = alphas[t - 20 < 0 ? 0 : t - 20]!;
      x = x.map((v) => { const e = doubleEps(v, t, ctx); return Math.sqrt(ap) * (v - Math.sqrt(1 - a) * e) / Math.sqrt(a) + Math.sqrt(1 - ap) * e; });
    }
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - res.latent.data[i]!)).toBeLessThan(2e-5);
    expect(DOUBLE_SCALE).toBeCloseTo(0.18215, 6);
  });
});
