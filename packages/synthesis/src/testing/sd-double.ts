// TEST DOUBLE — not Stable Diffusion. A small deterministic stand-in with the SynthesisModel interface, in pure
// JavaScript, for tests of the job machinery (files, shards, resume, merge) and of the sampler's wiring against a
// recurrence written out by hand. The "Done when" tests use the real tiny SD of @diff2in1/backbone-sd.
//   encodeImage: 8×8 average pooling of (r, g, b, mean) × 0.18215, plus 0.05·N(0, 1) per element in 'sample' mode
//   decodeLatents: nearest 8× upsampling of channels 0..2 ÷ 0.18215
//   encodePrompt: [B, 77, 8] from the prompt's character codes
//   predictNoise: ε̂ = 0.5·x + 0.1·sin(t/100 + mean(context)) (+ classifier-free guidance when asked)
import { fromConfig, sd15SchedulerConfig } from '@diff2in1/schedulers';
import type { AnyScheduler } from '@diff2in1/schedulers';
import type { Rng } from '@diff2in1/tensor';
import { Tensor } from '@diff2in1/tensor';
import type { SynthesisModel } from '../model.js';

export const DOUBLE_SCALE = 0.18215;
export const DOUBLE_POSTERIOR_STD = 0.05;

/** ε̂ of the double for one latent element, given the context's mean. */
export function doubleEps(x: number, t: number, contextMean: number): number {
  return 0.5 * x + 0.1 * Math.sin(t / 100 + contextMean);
}

export class SdTestDouble implements SynthesisModel {
  readonly source = 'test-double';
  readonly vaeScaleFactor = 8;
  readonly scheduler: AnyScheduler = fromConfig(sd15SchedulerConfig);
  readonly configs = { vae: { latent_channels: 4 }, scheduler: sd15SchedulerConfig };
  /** Every call, for assertions on what the sampler asked for. */
  readonly calls = { encodePrompt: [] as string[], predictNoise: 0, encodeImage: 0, decodeLatents: 0 };
  disposed = false;

  async encodePrompt(texts: string[]): Promise<Tensor<'float32'>> {
    this.calls.encodePrompt.push(...texts);
    const d = 8;
    const out = new Float32Array(texts.length * 77 * d);
    texts.forEach((text, b) => {
      for (let i = 0; i < 77 * d; i++) out[b * 77 * d + i] = ((text.charCodeAt(i % Math.max(1, text.length)) || 0) % 17) / 17 - 0.25;
    });
    return new Tensor('float32', [texts.length, 77, d], out);
  }

  async encodeImage(images: Tensor<'float32'>, opts: { mode?: 'mean' | 'sample'; rng?: Rng } = {}): Promise<Tensor<'float32'>> {
    this.calls.encodeImage++;
    const [b, , H, W] = images.shape as [number, number, number, number];
    const h = H / 8, w = W / 8;
    const out = new Float32Array(b * 4 * h * w);
    for (let n = 0; n < b; n++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const acc = [0, 0, 0];
          for (let c = 0; c < 3; c++) {
            for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) acc[c]! += images.data[((n * 3 + c) * H + y * 8 + dy) * W + x * 8 + dx]! / 64;
          }
          const vals = [acc[0]!, acc[1]!, acc[2]!, (acc[0]! + acc[1]! + acc[2]!) / 3];
          vals.forEach((v, c) => { out[((n * 4 + c) * h + y) * w + x] = v * DOUBLE_SCALE; });
        }
      }
    }
    if (opts.mode === 'sample') {
      if (!opts.rng) throw new Error('test double: sample mode needs an rng');
      for (let i = 0; i < out.length; i++) out[i]! += DOUBLE_POSTERIOR_STD * opts.rng.normal();
    }
    return new Tensor('float32', [b, 4, h, w], out);
  }

  async decodeLatents(latents: Tensor<'float32'>): Promise<Tensor<'float32'>> {
    this.calls.decodeLatents++;
    const [b, , h, w] = latents.shape as [number, number, number, number];
    const H = h * 8, W = w * 8;
    const out = new Float32Array(b * 3 * H * W);
    for (let n = 0; n < b; n++) {
      for (let c = 0; c < 3; c++) {
        for (let y = 0; y < H; y++) {
          for (let x = 0; x < W; x++) out[((n * 3 + c) * H + y) * W + x] = latents.data[((n * 4 + c) * h + (y >> 3)) * w + (x >> 3)]! / DOUBLE_SCALE;
        }
      }
    }
    return new Tensor('float32', [b, 3, H, W], out);
  }

  async predictNoise(
    latents: Tensor<'float32'>, t: number | readonly number[], context: Tensor<'float32'>,
    opts: { guidanceScale?: number; uncondContext?: Tensor<'float32'> } = {},
  ): Promise<Tensor<'float32'>> {
    this.calls.predictNoise++;
    const tt = typeof t === 'number' ? t : (t[0] as number);
    const mean = (c: Tensor<'float32'>) => c.data.reduce((a, v) => a + v, 0) / c.data.length;
    const cm = mean(context);
    const s = opts.guidanceScale ?? 1;
    const um = s !== 1 && opts.uncondContext ? mean(opts.uncondContext) : cm;
    const out = latents.data.map((x) => {
      const c = doubleEps(x, tt, cm);
      const u = doubleEps(x, tt, um);
      return s === 1 ? c : u + s * (c - u);
    });
    return new Tensor('float32', latents.shape, out);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}
