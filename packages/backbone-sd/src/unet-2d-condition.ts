// diffusers v0.25.0 models/unet_2d_condition.py UNet2DConditionModel for the SD 1.x / 2.x configs
// (configs/unet-2d-condition.ts refuses the rest): Timesteps → TimestepEmbedding, conv_in, down blocks keeping
// their skips, UNetMidBlock2DCrossAttn, up blocks consuming the skips (nearest-upsampled to the skip's size when
// the latent is not a multiple of 2^upsamplers, as diffusers' `forward_upsample_size`), GroupNorm → SiLU → conv_out.
import { Module, ModuleList, type Value } from '@diff2in1/graph';
import type { AttentionImpl } from './attention.js';
import type { UNet2DConditionConfig } from './configs/unet-2d-condition.js';
import { unetBlockPlan } from './configs/unet-2d-condition.js';
import { Timesteps, TimestepEmbedding } from './embeddings.js';
import { Conv2d, GroupNorm, type SdDType, silu } from './layers.js';
import { DownBlock2D, type TapFn, UNetMidBlock2DCrossAttn, UpBlock2D } from './unet-2d-blocks.js';

export interface SdModelOptions {
  /** Compute dtype (float16: weights and activations in float16, GroupNorm and upcast softmax in float32). */
  dtype?: SdDType;
  /** Attention graph form (see attention.ts). */
  attention?: AttentionImpl;
}

export interface UNetForwardOptions {
  /** Receives every sub-module's output (full module path → value); 'conv_in', 'mid_block', 'up_blocks.N' included. */
  tap?: TapFn;
  /** Stop after the up blocks (no conv_norm_out / conv_out): the feature graphs. */
  skipHead?: boolean;
}

export class UNet2DConditionModel extends Module {
  readonly conv_in: Conv2d;
  readonly time_proj: Timesteps;
  readonly time_embedding: TimestepEmbedding;
  readonly down_blocks: ModuleList<DownBlock2D>;
  readonly up_blocks: ModuleList<UpBlock2D>;
  readonly mid_block: UNetMidBlock2DCrossAttn;
  readonly conv_norm_out: GroupNorm;
  readonly conv_out: Conv2d;
  readonly dtype: SdDType;

  constructor(readonly config: UNet2DConditionConfig, o: SdModelOptions = {}) {
    super();
    const c = config;
    const dtype = o.dtype ?? 'float32';
    this.dtype = dtype;
    const impl = o.attention ?? 'matmul';
    const plan = unetBlockPlan(c);
    const boc = c.block_out_channels;
    const n = boc.length;
    const c0 = boc[0]!;
    const groups = c.norm_num_groups ?? 32;
    const temb = plan.timeEmbedDim;
    const common = {
      tembChannels: temb, groups, eps: c.norm_eps, useLinearProjection: c.use_linear_projection, upcastAttention: c.upcast_attention, dtype, impl,
    };
    this.conv_in = this.addModule('conv_in', new Conv2d(c.in_channels, c0, c.conv_in_kernel, { padding: (c.conv_in_kernel - 1) / 2, dtype }));
    this.time_proj = this.addModule('time_proj', new Timesteps(c0, c.flip_sin_to_cos, c.freq_shift));
    this.time_embedding = this.addModule('time_embedding', new TimestepEmbedding(c0, temb, dtype));

    const down: DownBlock2D[] = [];
    let out = c0;
    c.down_block_types.forEach((type, i) => {
      const inp = out;
      out = boc[i]!;
      down.push(new DownBlock2D({
        ...common, inChannels: inp, outChannels: out, layers: plan.layersPerBlock[i]!, heads: plan.heads[i]!,
        transformerLayers: plan.transformerLayers[i]!, crossAttentionDim: plan.crossAttentionDim[i]!,
        crossAttention: type === 'CrossAttnDownBlock2D', addDownsample: i < n - 1, downsamplePadding: c.downsample_padding,
      }));
    });
    this.down_blocks = this.addModule('down_blocks', new ModuleList(down));

    const rev = [...boc].reverse();
    const revHeads = [...plan.heads].reverse();
    const revLayers = [...plan.layersPerBlock].reverse();
    const revTransformer = [...plan.transformerLayers].reverse();
    const revCross = [...plan.crossAttentionDim].reverse();
    const up: UpBlock2D[] = [];
    out = rev[0]!;
    c.up_block_types.forEach((type, i) => {
      const prev = out;
      out = rev[i]!;
      up.push(new UpBlock2D({
        ...common, inChannels: rev[Math.min(i + 1, n - 1)]!, outChannels: out, prevOutputChannels: prev, layers: revLayers[i]! + 1,
        heads: revHeads[i]!, transformerLayers: revTransformer[i]!, crossAttentionDim: revCross[i]!,
        crossAttention: type === 'CrossAttnUpBlock2D', addUpsample: i < n - 1,
      }));
    });
    this.up_blocks = this.addModule('up_blocks', new ModuleList(up));
    this.mid_block = this.addModule('mid_block', new UNetMidBlock2DCrossAttn({
      ...common, inChannels: boc[n - 1]!, heads: plan.heads[n - 1]!, transformerLayers: plan.transformerLayers[n - 1]!,
      crossAttentionDim: plan.crossAttentionDim[n - 1]!, outputScaleFactor: c.mid_block_scale_factor,
    }));
    this.conv_norm_out = this.addModule('conv_norm_out', new GroupNorm(groups, c0, c.norm_eps));
    this.conv_out = this.addModule('conv_out', new Conv2d(c0, c.out_channels, c.conv_out_kernel, { padding: (c.conv_out_kernel - 1) / 2, dtype }));
  }

  /**
   * sample [B, in_channels, H, W] and context [B, S, cross_attention_dim] in the model dtype, timestep [B] float32
   * → the predicted noise [B, out_channels, H, W] (undefined with `skipHead`).
   */
  forward(sample: Value, timestep: Value, context: Value, o: UNetForwardOptions = {}): Value | undefined {
    const tap = o.tap ?? (() => undefined);
    const n = this.down_blocks.length;
    const factor = 2 ** (n - 1);
    const [hh, ww] = [sample.shape[2] as number, sample.shape[3] as number];
    const forwardUpsampleSize = hh % factor !== 0 || ww % factor !== 0;

    const emb = this.time_embedding.forward(this.time_proj.forward(timestep));
    let h = this.conv_in.forward(sample);
    tap('conv_in', h);
    const skips: Value[] = [h];
    for (const block of this.down_blocks) {
      const r = block.forward(h, emb, context, tap);
      h = r.h;
      skips.push(...r.skips);
    }
    h = this.mid_block.forward(h, emb, context, tap);
    tap('mid_block', h);
    this.up_blocks.children().forEach(([, m], i) => {
      const block = m as UpBlock2D;
      const res = skips.splice(skips.length - block.resnets.length);
      const last = skips[skips.length - 1];
      const size = i < n - 1 && forwardUpsampleSize && last ? [last.shape[2] as number, last.shape[3] as number] as const : undefined;
      h = block.forward(h, res, emb, context, size, tap);
      tap(block.path, h);
    });
    if (o.skipHead) return undefined;
    return this.conv_out.forward(silu(this.conv_norm_out.forward(h)));
  }
}
