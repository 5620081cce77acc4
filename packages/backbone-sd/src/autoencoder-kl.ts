// diffusers v0.25.0 models/autoencoders/vae.py Encoder / Decoder and autoencoders/autoencoder_kl.py AutoencoderKL
// with DiagonalGaussianDistribution (vae.py): moments = quant_conv(encoder(x)) = mean ‖ logvar, logvar clamped to
// [−30, 20], std = exp(logvar / 2); latents = (mean + std · noise − shift_factor) · scaling_factor (noise = 0 gives
// the mean; the noise is a graph input so sampling is reproducible from the caller's seeded RNG).
// Decoding: z = latents / scaling_factor + shift_factor → post_quant_conv → decoder (not clamped, as vae.decode).
import { Module, ModuleList, type Value, chunk, spec } from '@diff2in1/graph';
import type { AutoencoderKLConfig } from './configs/autoencoder-kl.js';
import { Conv2d, GroupNorm, type SdDType, scalarOf, silu } from './layers.js';
import { DownEncoderBlock2D, UNetMidBlock2D, UpDecoderBlock2D } from './unet-2d-blocks.js';

const VAE_EPS = 1e-6;

/** vae.py Encoder (double_z): conv_in, DownEncoderBlock2D × n, UNetMidBlock2D, GroupNorm, SiLU, conv_out → 2·latent channels. */
export class Encoder extends Module {
  readonly conv_in: Conv2d;
  readonly down_blocks: ModuleList<DownEncoderBlock2D>;
  readonly mid_block: UNetMidBlock2D;
  readonly conv_norm_out: GroupNorm;
  readonly conv_out: Conv2d;

  constructor(c: AutoencoderKLConfig, dtype: SdDType) {
    super();
    const boc = c.block_out_channels;
    const n = boc.length;
    const last = boc[n - 1]!;
    const g = c.norm_num_groups;
    this.conv_in = this.addModule('conv_in', new Conv2d(c.in_channels, boc[0]!, 3, { padding: 1, dtype }));
    let out = boc[0]!;
    const blocks: DownEncoderBlock2D[] = [];
    for (let i = 0; i < n; i++) {
      const inp = out;
      out = boc[i]!;
      blocks.push(new DownEncoderBlock2D({ inChannels: inp, outChannels: out, layers: c.layers_per_block, groups: g, eps: VAE_EPS, dtype, addDownsample: i < n - 1 }));
    }
    this.down_blocks = this.addModule('down_blocks', new ModuleList(blocks));
    this.mid_block = this.addModule('mid_block', new UNetMidBlock2D({ inChannels: last, groups: g, eps: VAE_EPS, dtype }));
    this.conv_norm_out = this.addModule('conv_norm_out', new GroupNorm(g, last, VAE_EPS));
    this.conv_out = this.addModule('conv_out', new Conv2d(last, 2 * c.latent_channels, 3, { padding: 1, dtype }));
  }

  forward(x: Value): Value {
    let h = this.conv_in.forward(x);
    for (const b of this.down_blocks) h = b.forward(h);
    h = this.mid_block.forward(h);
    return this.conv_out.forward(silu(this.conv_norm_out.forward(h)));
  }
}

/** vae.py Decoder: conv_in, UNetMidBlock2D, UpDecoderBlock2D × n (layers_per_block + 1 resnets), GroupNorm, SiLU, conv_out. */
export class Decoder extends Module {
  readonly conv_in: Conv2d;
  readonly up_blocks: ModuleList<UpDecoderBlock2D>;
  readonly mid_block: UNetMidBlock2D;
  readonly conv_norm_out: GroupNorm;
  readonly conv_out: Conv2d;

  constructor(c: AutoencoderKLConfig, dtype: SdDType) {
    super();
    const boc = c.block_out_channels;
    const n = boc.length;
    const last = boc[n - 1]!;
    const g = c.norm_num_groups;
    this.conv_in = this.addModule('conv_in', new Conv2d(c.latent_channels, last, 3, { padding: 1, dtype }));
    const rev = [...boc].reverse();
    let out = rev[0]!;
    const blocks: UpDecoderBlock2D[] = [];
    for (let i = 0; i < n; i++) {
      const prev = out;
      out = rev[i]!;
      blocks.push(new UpDecoderBlock2D({ inChannels: prev, outChannels: out, layers: c.layers_per_block + 1, groups: g, eps: VAE_EPS, dtype, addUpsample: i < n - 1 }));
    }
    this.up_blocks = this.addModule('up_blocks', new ModuleList(blocks));
    this.mid_block = this.addModule('mid_block', new UNetMidBlock2D({ inChannels: last, groups: g, eps: VAE_EPS, dtype }));
    this.conv_norm_out = this.addModule('conv_norm_out', new GroupNorm(g, boc[0]!, VAE_EPS));
    this.conv_out = this.addModule('conv_out', new Conv2d(boc[0]!, c.out_channels, 3, { padding: 1, dtype }));
  }

  forward(z: Value): Value {
    let h = this.mid_block.forward(this.conv_in.forward(z));
    for (const b of this.up_blocks) h = b.forward(h);
    return this.conv_out.forward(silu(this.conv_norm_out.forward(h)));
  }
}

export class AutoencoderKL extends Module {
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly quant_conv: Conv2d;
  readonly post_quant_conv: Conv2d;
  readonly dtype: SdDType;

  constructor(readonly config: AutoencoderKLConfig, o: { dtype?: SdDType } = {}) {
    super();
    const dtype = o.dtype ?? 'float32';
    this.dtype = dtype;
    const l2 = 2 * config.latent_channels;
    this.encoder = this.addModule('encoder', new Encoder(config, dtype));
    this.decoder = this.addModule('decoder', new Decoder(config, dtype));
    this.quant_conv = this.addModule('quant_conv', new Conv2d(l2, l2, 1, { dtype }));
    this.post_quant_conv = this.addModule('post_quant_conv', new Conv2d(config.latent_channels, config.latent_channels, 1, { dtype }));
  }

  /** The posterior's moments [B, 2·latent, h, w] (mean ‖ logvar, unclamped) for images [B, 3, H, W]. */
  moments(image: Value): Value {
    return this.quant_conv.forward(this.encoder.forward(image));
  }

  /** Scaled latents: (mean + std · noise − shift) · scaling_factor, with noise [B, latent, h, w]. */
  encodeLatents(image: Value, noise: Value): Value {
    const g = image.graph;
    const m = this.moments(image);
    const [mean, logvar] = chunk(m, 2, 1) as [Value, Value];
    const s = mean.shape;
    const op = (type: string, a: Value, b: Value): Value => g.node1(type, [a, b], {}, spec(a.dtype, s));
    const clamped = g.node1('Clip', [logvar, scalarOf(logvar, -30), scalarOf(logvar, 20)], {}, spec(logvar.dtype, s));
    const std = g.node1('Exp', [op('Mul', clamped, scalarOf(clamped, 0.5))], {}, spec(logvar.dtype, s));
    let z = op('Add', mean, op('Mul', std, noise));
    if (this.config.shift_factor !== null) z = op('Sub', z, scalarOf(z, this.config.shift_factor));
    return op('Mul', z, scalarOf(z, this.config.scaling_factor));
  }

  /** Images [B, 3, H, W] (roughly [−1, 1], unclamped) from scaled latents. */
  decodeLatents(latents: Value): Value {
    const g = latents.graph;
    let z = g.node1('Div', [latents, scalarOf(latents, this.config.scaling_factor)], {}, spec(latents.dtype, latents.shape));
    if (this.config.shift_factor !== null) z = g.node1('Add', [z, scalarOf(z, this.config.shift_factor)], {}, spec(z.dtype, z.shape));
    return this.decoder.forward(this.post_quant_conv.forward(z));
  }
}
