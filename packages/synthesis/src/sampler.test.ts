// "Done when" (issue 7) on toyworld images with the real tiny SD of @diff2in1/backbone-sd (compiled graphs on ONNX
// Runtime, CPU): strength 0 returns the input latent exactly; T moves images further from their source; the same
// seed gives the same bytes. Truths: the VAE's own encoding of the source (called separately), distances measured
// here, repeated runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StableDiffusion } from '@diff2in1/backbone-sd';
import { loadStableDiffusion } from '@diff2in1/backbone-sd';
import type { RawImage, Tensor } from '@diff2in1/tensor';
import { Rng, rawToTensor } from '@diff2in1/tensor';
import { rgbToRaw, toyImage } from '@diff2in1/toyworld';
import type { SynthesisModel } from './model.js';
import { createFromImage, generateFromNoise, toModelInput } from './sampler.js';

const cache = mkdtempSync(join(tmpdir(), 'synthesis-sd-cache-'));
let sd: StableDiffusion;
const W = 64, H = 64;
const sources: RawImage[] = [0, 1, 2, 3].map((i) => rgbToRaw(toyImage(21, i, { width: W, height: H, samples: 1 })));
const captions = [0, 1, 2, 3].map((i) => toyImage(21, i, { width: 16, height: 16, samples: 1 }).caption);

beforeAll(async () => {
  sd = await loadStableDiffusion('tiny', { device: 'cpu', threads: 1, cacheDir: cache });
});
afterAll(async () => {
  await sd?.dispose();
  rmSync(cache, { recursive: true, force: true });
});

const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function rms(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
}

describe('createFromImage with the tiny SD', () => {
  it('the real StableDiffusion satisfies the SynthesisModel interface', () => {
    const m: SynthesisModel = sd;
    expect(m.vaeScaleFactor).toBe(8);
  });

  it('strength 0 (and T 0) returns the input latent exactly: the VAE encoding of the source, bit for bit', async () => {
    const img = sources[0]!;
    const own = await sd.encodeImage(toModelInput(img), { mode: 'mean' });
    for (const start of [{ strength: 0 }, { T: 0 }]) {
      const r = await createFromImage(sd, img, { caption: captions[0]!, latentMode: 'mean', seed: 3, ...start });
      expect(r.plan.timesteps).toEqual([]);
      expect(same(r.sourceLatent.data, own.data)).toBe(true);
      expect(same(r.latent.data, own.data)).toBe(true);
    }
    // With the official posterior sample, too: the latent is the sample drawn with the seed's 'posterior' fork.
    const sampled = await sd.encodeImage(toModelInput(img), { mode: 'sample', rng: new Rng(3).fork('posterior') });
    const r = await createFromImage(sd, img, { caption: captions[0]!, strength: 0, seed: 3 });
    expect(same(r.latent.data, sampled.data)).toBe(true);
    expect(same(sampled.data, own.data)).toBe(false);
  });

  // Distances are averaged over 4 toyworld images (one seed each). Pixel distance is measured to the source image and
  // to its VAE reconstruction (the T = 0 output), which separates T's effect from the random tiny VAE's own error.
  // Measured: latent 0, 0.37, 0.90, 2.40, 8.33; pixels vs source 0.310, 0.304, 0.312, 0.321, 0.335; vs reconstruction
  // 0, 0.175, 0.202, 0.212, 0.223 (RMS, pixels in 0..1).
  it('T sets how far images move from their source: latent and pixel distances grow with T ∈ {0, 100, 300, 600, 900}', async () => {
    const Ts = [0, 100, 300, 600, 900];
    const latentDist: number[] = [], pixelDist: number[] = [], reconDist: number[] = [];
    const recon: Float32Array[] = [];
    for (const T of Ts) {
      let l = 0, p = 0, q = 0;
      for (let i = 0; i < sources.length; i++) {
        const src = sources[i]!;
        const r = await createFromImage(sd, src, { caption: captions[i]!, T, seed: 100 + i });
        const out = rawToTensor(r.image, { range: '0-1' }).data;
        if (T === 0) recon.push(out);
        l += rms(r.latent.data, r.sourceLatent.data) / sources.length;
        p += rms(out, rawToTensor(src, { range: '0-1' }).data) / sources.length;
        q += rms(out, recon[i]!) / sources.length;
      }
      latentDist.push(l);
      pixelDist.push(p);
      reconDist.push(q);
    }
    const show = (v: number[]) => v.map((x) => x.toFixed(4)).join(', ');
    const msg = `T ${Ts.join(', ')}: latent ${show(latentDist)}; pixels vs source ${show(pixelDist)}; vs reconstruction ${show(reconDist)}`;
    expect(latentDist[0], msg).toBe(0);
    expect(reconDist[0], msg).toBe(0);
    for (let j = 1; j < Ts.length; j++) {
      expect(latentDist[j]!, msg).toBeGreaterThan(latentDist[j - 1]!);
      // (the random tiny VAE's reconstruction is itself far from the source, so T = 100 may land nearer the source
      // than T = 0 does: compare against the source from T = 100 on, as the issue asks)
      if (j >= 2) expect(pixelDist[j]!, msg).toBeGreaterThan(pixelDist[j - 1]!);
      expect(reconDist[j]!, msg).toBeGreaterThan(reconDist[j - 1]!);
    }
  });

  it('same seed → byte-identical image and latent; another seed → other bytes', async () => {
    const run = (seed: number) => createFromImage(sd, sources[1]!, { caption: captions[1]!, T: 600, seed });
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    expect(same(a.image.data, b.image.data)).toBe(true);
    expect(same(a.latent.data, b.latent.data)).toBe(true);
    expect(same(a.image.data, c.image.data)).toBe(false);
    expect(a.plan.timesteps).toHaveLength(50);
  });
});

describe('generateFromNoise with the tiny SD', () => {
  it('an image of the requested size from the full 50-step schedule; seeded', async () => {
    const g = (seed: number): Promise<{ image: RawImage; latent: Tensor<'float32'> }> => generateFromNoise(sd, { prompt: captions[2]!, height: 64, width: 128, seed });
    const [a, b, c] = [await g(1), await g(1), await g(2)];
    expect([a.image.width, a.image.height, a.image.channels]).toEqual([128, 64, 3]);
    expect(a.latent.shape).toEqual([1, 4, 8, 16]);
    expect(same(a.image.data, b.image.data)).toBe(true);
    expect(same(a.latent.data, c.latent.data)).toBe(false);
  });
});
