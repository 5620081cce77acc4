// The ONNX graphs built from the SD modules, with their I/O names. Parameters are graph inputs here
// (compile-cache.ts turns them into external initializers). Batch is symbolic; spatial sizes are fixed per graph.
//
//   unet (noise)    sample [batch, C, h, w], timestep float32 [batch], encoder_hidden_states [batch, S, D]
//                   → out_sample [batch, C, h, w]
//   unet (taps)     same inputs → one output per tap, named by its module path (taps.ts); no conv_norm_out /
//                   conv_out, nor anything else no tap needs
//   vae encoder     sample [batch, 3, H, W] in [−1, 1], noise [batch, latent, H/f, W/f] → latents (scaled)
//   vae decoder     latents [batch, latent, h, w] (scaled) → sample [batch, 3, h·f, w·f]
//   text encoder    input_ids int64 [batch, S] → last_hidden_state [batch, S, hidden]
// Float tensors are in the model dtype (float16 graphs take and give float16), except timestep (float32).
import { GraphBuilder, type Value } from '@diff2in1/graph';
import { Diff2in1Error } from '@diff2in1/tensor';
import type { AutoencoderKL } from './autoencoder-kl.js';
import type { CLIPTextModel } from './clip-text-model.js';
import { vaeScaleFactor } from './configs/autoencoder-kl.js';
import { type TapSetName, unetTaps } from './taps.js';
import type { UNet2DConditionModel } from './unet-2d-condition.js';

export type UNetOutputs = 'noise' | TapSetName;

export interface UNetGraphOptions {
  /** Latent height and width. */
  height: number;
  width: number;
  /** Context length (77 for SD). */
  sequenceLength: number;
  outputs: UNetOutputs;
}

export function unetGraph(unet: UNet2DConditionModel, o: UNetGraphOptions): GraphBuilder {
  const c = unet.config;
  const g = new GraphBuilder(`unet-${o.outputs}`, { params: 'input' });
  const crossDim = Array.isArray(c.cross_attention_dim) ? c.cross_attention_dim[0]! : c.cross_attention_dim;
  const sample = g.input('sample', unet.dtype, ['batch', c.in_channels, o.height, o.width]);
  const timestep = g.input('timestep', 'float32', ['batch']);
  const context = g.input('encoder_hidden_states', unet.dtype, ['batch', o.sequenceLength, crossDim]);
  if (o.outputs === 'noise') {
    g.output('out_sample', unet.forward(sample, timestep, context)!);
    return g;
  }
  const taps = unetTaps(c, o.outputs);
  const wanted = new Set(taps.map((t) => t.module));
  const got = new Map<string, Value>();
  unet.forward(sample, timestep, context, { skipHead: true, tap: (m, v) => (wanted.has(m) ? got.set(m, v) : undefined) });
  for (const t of taps) {
    const v = got.get(t.module);
    if (!v) throw new Diff2in1Error('taps', `the UNet did not produce tap '${t.module}'`);
    g.output(t.module, v);
  }
  return g;
}

/** Checks an image size against the VAE's downsampling factor. */
export function assertImageSize(vae: AutoencoderKL['config'], height: number, width: number, what = 'image'): void {
  const f = vaeScaleFactor(vae);
  if (height % f !== 0 || width % f !== 0 || height < f || width < f) {
    throw new Diff2in1Error('input', `${what} size ${height}×${width} is not a multiple of ${f} (the VAE's downsampling factor); ` +
      `resize or crop it to e.g. ${Math.max(f, Math.round(height / f) * f)}×${Math.max(f, Math.round(width / f) * f)} first (resizeTensor from @diff2in1/tensor)`);
  }
}

export function vaeEncoderGraph(vae: AutoencoderKL, o: { height: number; width: number }): GraphBuilder {
  const c = vae.config;
  assertImageSize(c, o.height, o.width);
  const f = vaeScaleFactor(c);
  const g = new GraphBuilder('vae-encoder', { params: 'input' });
  const image = g.input('sample', vae.dtype, ['batch', c.in_channels, o.height, o.width]);
  const noise = g.input('noise', vae.dtype, ['batch', c.latent_channels, o.height / f, o.width / f]);
  g.output('latents', vae.encodeLatents(image, noise));
  return g;
}

export function vaeDecoderGraph(vae: AutoencoderKL, o: { height: number; width: number }): GraphBuilder {
  const c = vae.config;
  const g = new GraphBuilder('vae-decoder', { params: 'input' });
  const latents = g.input('latents', vae.dtype, ['batch', c.latent_channels, o.height, o.width]);
  g.output('sample', vae.decodeLatents(latents));
  return g;
}

export function textEncoderGraph(clip: CLIPTextModel, o: { sequenceLength: number }): GraphBuilder {
  const g = new GraphBuilder('text-encoder', { params: 'input' });
  const ids = g.input('input_ids', 'int64', ['batch', o.sequenceLength]);
  g.output('last_hidden_state', clip.forward(ids));
  return g;
}
