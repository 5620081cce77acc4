// Parity of the compiled tiny SD against diffusers v0.25.0 / openai CLIP outputs on the same weights (golden files
// made by tools/golden/backbone/make_tiny_sd.py): UNet noise prediction, every vpd and all tap, VAE encode (mean and
// sample) / decode, CLIP text embeddings — max abs error ≤ 1e-4 in float32.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng, Tensor, randn } from '@diff2in1/tensor';
import { unetTaps } from './taps.js';
import { tinySd } from './configs/tiny.js';
import { loadStableDiffusion } from './load-stable-diffusion.js';
import type { StableDiffusion } from './stable-diffusion.js';
import { CLIP_PROMPTS, f32, golden, maxAbsDiff, rows, tempCache, timesteps } from './testing/golden.js';

const TOL = 1e-4;
const unetGold = golden('unet');
const vaeGold = golden('vae');
const clipGold = golden('clip-text');
const report: Record<string, number> = {};

function close(name: string, got: Tensor | undefined, want: Tensor | undefined): void {
  if (!got || !want) throw new Error(`${name}: missing tensor`);
  const d = maxAbsDiff(got, want);
  report[name] = d;
  expect(d, name).toBeLessThanOrEqual(TOL);
}

describe.each([['compiled (diffusers folder)', 'tiny'], ['ONNX export (torch.onnx)', 'tiny-onnx']] as const)('%s', (_label, source) => {
  let sd: StableDiffusion;
  const cache = tempCache('parity');
  beforeAll(async () => {
    sd = await loadStableDiffusion(source, { cacheDir: cache, device: 'cpu', threads: 2 });
  });
  afterAll(async () => {
    await sd.dispose();
    rmSync(cache, { recursive: true, force: true });
  });

  it('CLIP text embeddings of the golden prompts equal openai/CLIP\'s text tower', async () => {
    const hidden = await sd.encodePrompt(CLIP_PROMPTS);
    close(`${source} clip last_hidden_state`, hidden, clipGold['last_hidden_state']);
  });

  it('UNet noise prediction equals diffusers (batch 2, per-sample t = 1, 601; batch 1, t = 0, empty prompt)', async () => {
    const a = await sd.predictNoise(f32(unetGold['a.sample']), timesteps(unetGold['a.timestep']!), f32(unetGold['a.encoder_hidden_states']));
    close(`${source} unet a.out_sample`, a, unetGold['a.out_sample']);
    const b = await sd.predictNoise(f32(unetGold['b.sample']), 0, f32(unetGold['b.encoder_hidden_states']));
    close(`${source} unet b.out_sample`, b, unetGold['b.out_sample']);
  });

  it('every vpd tap equals the diffusers module output', async () => {
    for (const c of ['a', 'b'] as const) {
      const t = timesteps(unetGold[`${c}.timestep`]!);
      const taps = await sd.features(f32(unetGold[`${c}.sample`]), t, f32(unetGold[`${c}.encoder_hidden_states`]), 'vpd');
      const names = unetTaps(tinySd.unet, 'vpd').map((x) => x.module);
      expect(Object.keys(taps).sort()).toEqual([...names].sort());
      for (const n of names) close(`${source} vpd ${c}.${n}`, taps[n], unetGold[`${c}.tap.${n}`]);
    }
  });

  it('every `all` tap equals the diffusers module output', async () => {
    const taps = await sd.features(f32(unetGold['a.sample']), timesteps(unetGold['a.timestep']!), f32(unetGold['a.encoder_hidden_states']), 'all');
    const names = unetTaps(tinySd.unet, 'all').map((x) => x.module);
    expect(Object.keys(taps).sort()).toEqual([...names].sort());
    for (const n of names) close(`${source} all ${n}`, taps[n], unetGold[`a.tap.${n}`]);
  });

  it('latents not divisible by 2^upsamplers (6×10): each upsampler resizes to its skip, as diffusers does', async () => {
    const o = golden('unet-odd');
    const t = timesteps(o['timestep']!);
    if (source === 'tiny-onnx') {
      // torch.onnx traced the ×2 path (exported at 16×24): a clear error instead of ORT's Concat shape message
      await expect(sd.predictNoise(f32(o['sample']), t, f32(o['encoder_hidden_states']))).rejects.toThrow(/cannot run 6×10 latents.*multiples of 8/);
      return;
    }
    const noise = await sd.predictNoise(f32(o['sample']), t, f32(o['encoder_hidden_states']));
    close(`${source} unet 6x10 out_sample`, noise, o['out_sample']);
    const taps = await sd.features(f32(o['sample']), t, f32(o['encoder_hidden_states']), 'vpd');
    for (const n of unetTaps(tinySd.unet, 'vpd').map((x) => x.module)) close(`${source} vpd 6x10 ${n}`, taps[n], o[`tap.${n}`]);
  });

  it('VAE encode: mean × scaling_factor, and mean + std·ε for mode sample', async () => {
    const image = f32(vaeGold['image']);
    close(`${source} vae latent_mean_scaled`, await sd.encodeImage(image), vaeGold['latent_mean_scaled']);
    const sampled = await sd.encodeImage(image, { mode: 'sample', rng: new Rng(5) });
    const eps = randn(new Rng(5), sampled.shape);
    const mean = f32(vaeGold['latent_mean_scaled']);
    const std = f32(vaeGold['latent_std']);
    const want = new Tensor('float32', mean.shape, mean.data.map((m, i) => m + 0.18215 * std.data[i]! * eps.data[i]!));
    close(`${source} vae sample`, sampled, want);
  });

  it('VAE decode of scaled latents equals diffusers decode(z / scaling_factor)', async () => {
    close(`${source} vae decoded`, await sd.decodeLatents(f32(vaeGold['decode_latents_scaled'])), vaeGold['decoded']);
  });

  it('classifier-free guidance is u + s·(c − u) over the plain predictions', async () => {
    const x = rows(f32(unetGold['a.sample']), 0, 2);
    const cond = f32(unetGold['a.encoder_hidden_states']);
    const uncond = rows(f32(clipGold['last_hidden_state']), 0);
    const u = await sd.predictNoise(x, [1, 601], uncond);
    const c = await sd.predictNoise(x, [1, 601], cond);
    const g = await sd.predictNoise(x, [1, 601], cond, { guidanceScale: 7.5, uncondContext: uncond });
    const want = new Tensor('float32', u.shape, u.data.map((v, i) => v + 7.5 * (c.data[i]! - v)));
    expect(maxAbsDiff(g, want)).toBeLessThan(1e-5);
    // the default unconditional context is the empty prompt's embedding (golden prompt 0)
    const d = await sd.predictNoise(x, [1, 601], cond, { guidanceScale: 7.5 });
    expect(maxAbsDiff(d, g)).toBeLessThan(1e-5);
  });
});

afterAll(() => {
  // One line per compared output, for the record (max abs error vs the golden file).
  console.log(`parity max abs errors:\n${Object.entries(report).map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
});
